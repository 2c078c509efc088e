import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

/** JSON logs (pino). Tokens and Secret values are never passed; redaction is a second line of defence. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    name: 'hubpo-operator',
    level,
    redact: {
      paths: [
        'authorization',
        'headers.authorization',
        'token',
        'bootstrapToken',
        'value',
        'data',
        'secrets',
      ],
      censor: '[redacted]',
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
