import { errorMessage, stopOnSignals } from '@hubpo/core';
import { createLogger } from './logger.js';
import { createOperator } from './operator.js';
import { configFromEnv } from './operator-config.js';

/*
 * hubpo-operator: reads the environment, starts the operator, stops it gracefully on SIGINT /
 * SIGTERM (releasing the leader Lease); a second signal exits at once. Configuration: README.md.
 */

async function main(): Promise<void> {
  let config;
  try {
    config = configFromEnv(process.env);
  } catch (err) {
    process.stderr.write(`hubpo-operator: ${errorMessage(err)}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  const operator = await createOperator(config, { logger });
  stopOnSignals(() => operator.stop(), logger);
}

main().catch((err: unknown) => {
  process.stderr.write(`hubpo-operator failed to start: ${errorMessage(err)}\n`);
  process.exit(1);
});
