import type { UsageRecord, UsageSink } from './usage-sink.js';

interface Waiter {
  readonly count: number;
  readonly resolve: () => void;
}

/**
 * A `UsageSink` that keeps every record in memory, for tests and local runs. `waitFor(n)`
 * resolves once `n` records arrived (records are written after the response ended, so a test
 * that read a response waits for its record instead of sleeping).
 */
export class MemoryUsageSink implements UsageSink {
  readonly #records: UsageRecord[] = [];
  #waiters: Waiter[] = [];

  get records(): readonly UsageRecord[] {
    return this.#records;
  }

  record(rec: UsageRecord): void {
    this.#records.push(rec);
    if (this.#waiters.length === 0) return;
    const ready = this.#waiters.filter((w) => w.count <= this.#records.length);
    this.#waiters = this.#waiters.filter((w) => w.count > this.#records.length);
    for (const waiter of ready) waiter.resolve();
  }

  /** The record of `requestId`, if any. */
  byRequestId(requestId: string): UsageRecord | undefined {
    return this.#records.find((r) => r.requestId === requestId);
  }

  /** Resolves once at least `count` records were recorded; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 5_000): Promise<readonly UsageRecord[]> {
    if (this.#records.length >= count) return Promise.resolve(this.#records);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`expected ${count} usage records, got ${this.#records.length}`));
      }, timeoutMs);
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.#records);
        },
      });
    });
  }

  clear(): void {
    this.#records.length = 0;
  }
}
