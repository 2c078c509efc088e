import type { Logger } from 'pino';

/**
 * Logs records a full usage queue dropped, so an overflow is never silent beside its metric
 * (`hubpo.gateway.usage.dropped{reason="queue_full"}`): the first drop at once, then at most one
 * line per `intervalMs` with the count since the last line. Only the drop path calls it.
 */
export class UsageOverflowLog {
  readonly #logger: Logger;
  readonly #capacity: number;
  readonly #intervalMs: number;
  #unreported = 0;
  #total = 0;
  #lastAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger, capacity: number, intervalMs = 10_000) {
    this.#logger = logger;
    this.#capacity = capacity;
    this.#intervalMs = intervalMs;
  }

  dropped(count: number): void {
    this.#unreported += count;
    this.#total += count;
    const now = Date.now();
    if (now - this.#lastAt >= this.#intervalMs) this.#report(now);
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#report(Date.now()), this.#lastAt + this.#intervalMs - now);
      this.#timer.unref();
    }
  }

  /** Reports what is unreported (at shutdown). */
  flush(): void {
    if (this.#unreported > 0) this.#report(Date.now());
  }

  #report(now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#unreported === 0) return;
    this.#logger.error(
      { dropped: this.#unreported, droppedTotal: this.#total, capacity: this.#capacity },
      'usage record queue full: the oldest records were dropped (raise HUBPO_USAGE_QUEUE_SIZE or restore the usage destination)',
    );
    this.#unreported = 0;
    this.#lastAt = now;
  }
}
