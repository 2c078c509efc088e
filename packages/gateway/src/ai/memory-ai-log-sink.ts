import type { AILogLine, AILogSink } from './ai-log-sink.js';

/** Keeps `aiLogging` lines in memory (tests, the dev launcher). */
export class MemoryAILogSink implements AILogSink {
  readonly lines: AILogLine[] = [];

  write(line: AILogLine): void {
    this.lines.push(line);
  }

  clear(): void {
    this.lines.length = 0;
  }
}
