import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON logs (pino). Callers never pass request bodies or tokens; the redaction below is a second
 * line of defence for fields that could carry one by mistake.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    name: 'hubpo-control-plane',
    level,
    redact: {
      paths: [
        'authorization',
        'headers.authorization',
        'req.headers.authorization',
        'token',
        'adminToken',
        'password',
        'databaseUrl',
        'body',
        'err.body',
        'value',
      ],
      censor: '[redacted]',
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
