import { HubpoError, errorMessage, stopOnSignals } from '@hubpo/core';
import { configFromEnv } from './control-plane-config.js';
import { createControlPlane } from './control-plane.js';
import { createLogger } from './logger.js';

/*
 * hubpo-control-plane: reads the environment, starts the control plane, stops it gracefully on
 * SIGINT / SIGTERM (a second signal exits at once). Configuration: README.md.
 */

async function main(): Promise<void> {
  let config;
  try {
    config = configFromEnv(process.env);
  } catch (err) {
    process.stderr.write(`hubpo-control-plane: ${errorMessage(err)}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  const controlPlane = await createControlPlane(config, { logger });
  stopOnSignals(() => controlPlane.stop(), logger);
}

main().catch((err: unknown) => {
  const message = HubpoError.is(err) ? err.message : errorMessage(err);
  process.stderr.write(`hubpo-control-plane failed to start: ${message}\n`);
  process.exit(1);
});
