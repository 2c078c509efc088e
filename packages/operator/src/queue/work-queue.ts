import { Backoff } from './backoff.js';
import { TokenBucket } from './token-bucket.js';

/** A failure the queue does not retry: the same input fails the same way until something changes. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface WorkQueueOptions {
  readonly name: string;
  /** Reconciles one key; throwing retries it with backoff, unless it is a TerminalError. */
  readonly handler: (key: string) => Promise<void>;
  /** Keys processed at once (never two for the same key). */
  readonly concurrency: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** Overall rate of handler calls (a token bucket). */
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly onError?: (key: string, err: unknown, retryInMs: number | undefined) => void;
}

/**
 * controller-runtime's work queue: keys, not events (level-based). A key added while queued is
 * queued once; added while its handler runs, it runs again after (never two at once). Failures
 * retry with per-key exponential backoff up to a maximum; success forgets the backoff; a
 * TerminalError is not retried until the key is added again (the object changed). Handler calls
 * are rate limited overall.
 */
export class WorkQueue {
  readonly #o: WorkQueueOptions;
  readonly #queue: string[] = [];
  #head = 0;
  readonly #queued = new Set<string>();
  readonly #running = new Set<string>();
  /** Added while running: run again when done. */
  readonly #again = new Set<string>();
  readonly #backoffs = new Map<string, Backoff>();
  readonly #delayed = new Map<string, NodeJS.Timeout>();
  readonly #bucket: TokenBucket;
  readonly #idle = new Set<() => void>();
  #workers = 0;
  #paused: NodeJS.Timeout | undefined;
  /** A token taken while paused belongs to the next key dequeued. */
  #reserved = false;
  #stopped = false;

  constructor(options: WorkQueueOptions) {
    this.#o = options;
    this.#bucket = new TokenBucket(options.ratePerSecond, options.burst);
  }

  add(key: string): void {
    if (this.#stopped) return;
    const timer = this.#delayed.get(key);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#delayed.delete(key);
    }
    if (this.#running.has(key)) {
      this.#again.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#pump();
  }

  /** Adds `key` after `ms`, unless it is added sooner. */
  addAfter(key: string, ms: number): void {
    if (this.#stopped || this.#delayed.has(key)) return;
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.#delayed.set(key, timer);
  }

  get length(): number {
    return this.#queued.size + this.#running.size + this.#delayed.size;
  }

  /** Resolves when nothing is queued or running (delayed retries do not count). */
  idle(): Promise<void> {
    if (this.#queued.size === 0 && this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  /** Stops taking work and waits for running handlers. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    if (this.#paused !== undefined) clearTimeout(this.#paused);
    this.#queue.length = 0;
    this.#head = 0;
    this.#queued.clear();
    this.#again.clear();
    await this.idle();
  }

  #pump(): void {
    while (
      !this.#stopped &&
      this.#paused === undefined &&
      this.#workers < this.#o.concurrency &&
      this.#head < this.#queue.length
    ) {
      const wait = this.#reserved ? 0 : this.#bucket.take();
      if (wait > 0) {
        this.#reserved = true;
        this.#paused = setTimeout(() => {
          this.#paused = undefined;
          this.#pump();
        }, wait);
        return;
      }
      this.#reserved = false;
      const key = this.#queue[this.#head] as string;
      this.#head += 1;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      this.#queued.delete(key);
      this.#running.add(key);
      this.#workers += 1;
      void this.#process(key);
    }
  }

  async #process(key: string): Promise<void> {
    try {
      await this.#o.handler(key);
      this.#backoffs.delete(key);
    } catch (err) {
      if (err instanceof TerminalError) {
        this.#backoffs.delete(key);
        this.#o.onError?.(key, err, undefined);
      } else if (!this.#stopped) {
        const backoff =
          this.#backoffs.get(key) ?? new Backoff(this.#o.backoffInitialMs, this.#o.backoffMaxMs);
        this.#backoffs.set(key, backoff);
        const wait = backoff.next();
        this.#o.onError?.(key, err, wait);
        if (!this.#again.has(key)) this.addAfter(key, wait);
      }
    } finally {
      this.#running.delete(key);
      this.#workers -= 1;
      if (this.#again.delete(key)) this.add(key);
      this.#pump();
      if (this.#queued.size === 0 && this.#running.size === 0) {
        for (const resolve of this.#idle) resolve();
        this.#idle.clear();
      }
    }
  }
}
