/**
 * Coalesces bursts of triggers: fires `quietMs` after the last trigger, but never later than
 * `maxWaitMs` after the first one of a burst, and never runs two actions at once (a trigger
 * during a run schedules exactly one more run).
 */
export interface DebouncerOptions {
  readonly quietMs: number;
  readonly maxWaitMs: number;
  readonly action: () => Promise<void>;
  readonly onError?: (err: unknown) => void;
}

export class Debouncer {
  readonly #options: DebouncerOptions;
  #timer: NodeJS.Timeout | undefined;
  #burstStart: number | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: DebouncerOptions) {
    this.#options = options;
  }

  trigger(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    const now = Date.now();
    this.#burstStart ??= now;
    const deadline = this.#burstStart + this.#options.maxWaitMs;
    const delay = Math.max(0, Math.min(this.#options.quietMs, deadline - now));
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.flush(), delay);
  }

  /** Runs the action now (cancelling any pending timer) and resolves when it finished. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#burstStart = undefined;
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#run();
    try {
      await this.#running;
    } finally {
      this.#running = undefined;
    }
    if (this.#again && !this.#stopped) {
      this.#again = false;
      this.trigger();
    }
  }

  async #run(): Promise<void> {
    try {
      await this.#options.action();
    } catch (err) {
      this.#options.onError?.(err);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
