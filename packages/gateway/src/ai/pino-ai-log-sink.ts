import type { Logger } from 'pino';
import type { AILogLine, AILogSink } from './ai-log-sink.js';

/**
 * Writes `aiLogging` lines with pino at `info`, on a child logger tagged `component: "ai-log"`,
 * so they can be routed or dropped by component. The line carries redacted text only.
 */
export function pinoAILogSink(logger: Logger): AILogSink {
  const child = logger.child({ component: 'ai-log' });
  return {
    write(line: AILogLine): void {
      child.info(line, 'ai request');
    },
  };
}
