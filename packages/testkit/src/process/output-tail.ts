/**
 * A fixed-size ring of the last lines a child process wrote (stdout and stderr interleaved), so a
 * startup error can show why the process failed without keeping unbounded logs in memory.
 */
export class OutputTail {
  readonly #lines: string[];
  readonly #maxLineLength: number;
  #next = 0;
  #count = 0;
  #partial = '';
  readonly #listeners = new Set<(line: string) => void>();

  constructor(maxLines = 200, maxLineLength = 2000) {
    this.#lines = new Array<string>(maxLines).fill('');
    this.#maxLineLength = maxLineLength;
  }

  /** Appends a chunk of output; complete lines are stored and announced to listeners. */
  write(chunk: Buffer | string): void {
    const text = this.#partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const parts = text.split('\n');
    this.#partial = parts.pop() ?? '';
    if (this.#partial.length > this.#maxLineLength) {
      parts.push(this.#partial);
      this.#partial = '';
    }
    for (const part of parts) this.#push(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  /** Stores what is left of an unterminated last line (call when the stream ends). */
  flush(): void {
    if (this.#partial === '') return;
    const last = this.#partial;
    this.#partial = '';
    this.#push(last);
  }

  /** The stored lines, oldest first, plus the unterminated last line if any. */
  lines(): string[] {
    const size = this.#lines.length;
    const out: string[] = [];
    for (let i = 0; i < this.#count; i++) {
      out.push(this.#lines[(this.#next - this.#count + i + size) % size] ?? '');
    }
    if (this.#partial !== '') out.push(this.#partial);
    return out;
  }

  /** The last `maxLines` lines joined with newlines. */
  text(maxLines = 40): string {
    return this.lines().slice(-maxLines).join('\n');
  }

  /** Calls `listener` with every complete line written from now on; returns the unsubscribe. */
  onLine(listener: (line: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #push(raw: string): void {
    const line = raw.length > this.#maxLineLength ? `${raw.slice(0, this.#maxLineLength)}...` : raw;
    this.#lines[this.#next] = line;
    this.#next = (this.#next + 1) % this.#lines.length;
    if (this.#count < this.#lines.length) this.#count++;
    for (const listener of this.#listeners) listener(line);
  }
}
