/** What `stopOnSignals` reports; a pino logger fits. */
export interface SignalLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * The shutdown contract of Hubpo's programs: the first SIGINT or SIGTERM runs `stop` and exits 0
 * (1 if stopping failed); a second signal exits at once with 1.
 */
export function stopOnSignals(stop: () => Promise<void>, log: SignalLog): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    log.info({ signal }, 'stopping');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
