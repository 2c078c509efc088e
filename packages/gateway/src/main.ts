/*
 * hubpo-gateway: maps the environment to a GatewayConfig, starts the gateway and stops it on
 * SIGINT / SIGTERM (readiness fails, listener closes, in-flight requests drain until the drain
 * deadline, then the process exits). A second signal exits at once.
 */
import { HubpoError, errorMessage } from '@hubpo/core';
import { createGateway, createGatewayLogger, createGatewayTelemetry } from './gateway.js';
import { loadGatewayConfig, resolveTimeouts } from './gateway-config.js';
import type { GatewayConfig } from './gateway-config.js';
import { createUsageSink, loadUsageSinkConfig } from './usage/usage-sink-config.js';
import type { UsageSinkConfig } from './usage/usage-sink-config.js';

/** Beyond the drain deadline, how long closing may take before the process exits anyway. */
const EXIT_GRACE_MS = 5_000;
/** At shutdown, how long buffered usage records may take to publish (within the grace). */
const USAGE_FLUSH_MS = 3_000;

async function main(): Promise<void> {
  let config: GatewayConfig;
  let usage: UsageSinkConfig;
  try {
    config = loadGatewayConfig(process.env);
    usage = loadUsageSinkConfig(process.env);
  } catch (err) {
    if (!HubpoError.is(err, 'VALIDATION')) throw err;
    process.stderr.write(`hubpo-gateway: ${err.message}\n`);
    for (const issue of err.issues) process.stderr.write(`  ${issue.path}: ${issue.message}\n`);
    process.exitCode = 2;
    return;
  }
  const logger = createGatewayLogger(config);
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    process.exit(1);
  });
  const telemetry = createGatewayTelemetry(config);
  const usageSink = createUsageSink(usage, config, logger, telemetry);
  const gateway = await createGateway(config, { logger, telemetry, usageSink });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal; exiting without draining');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(
      () => {
        logger.error('shutdown took too long; exiting');
        process.exit(1);
      },
      resolveTimeouts(config).drainTimeoutMs + EXIT_GRACE_MS,
    );
    deadline.unref();
    // Requests drain first (each ends with its usage record), then buffered records are published.
    gateway
      .stop()
      .then(() => usageSink.stop(USAGE_FLUSH_MS))
      .then(() => telemetry.shutdown())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`hubpo-gateway: cannot start: ${errorMessage(err)}\n`);
  process.exit(1);
});
