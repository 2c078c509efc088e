import { errorMessage } from '@hubpo/core';
import { checkUsageRecord, encodeUsageRecord } from '@hubpo/snapshot';
import type { Telemetry } from '@hubpo/telemetry';
import type { Logger } from 'pino';
import type { UsageRecord } from '../ai/usage-sink.js';
import { UsageOverflowLog } from './usage-overflow-log.js';
import { UsageQueue } from './usage-queue.js';
import { UsageSinkMetrics } from './usage-sink-metrics.js';
import type { UsageDropReason } from './usage-sink-metrics.js';
import type { UsageSinkStats } from './usage-sink-stats.js';

export interface UsageBufferOptions {
  readonly logger: Logger;
  readonly meter?: Telemetry['meter'] | undefined;
  /** Ring capacity; beyond it the oldest record is dropped (`queue_full`). */
  readonly maxQueue: number;
}

/**
 * The bookkeeping every usage sink shares, whatever its transport: the bounded ring of records
 * not yet sent, the count of records sent and awaiting their acknowledgement, the counters behind
 * `stats()` and the metrics, drop accounting (with the overflow log), and the waiters of
 * `flush()`. The sink owns the transport and decides when records move: it takes them with
 * `shift()`, marks them `sent()`, and reports the outcome with `settled()`, `published()`,
 * `failed()` and `requeue()`. Nothing here does I/O or schedules work, so `record()` stays O(1).
 */
export class UsageBuffer {
  readonly #logger: Logger;
  readonly #queue: UsageQueue<UsageRecord>;
  readonly #metrics: UsageSinkMetrics;
  readonly #overflow: UsageOverflowLog;
  #inFlight = 0;
  #closing = false;
  #idleWaiters: (() => void)[] = [];
  #published = 0;
  #duplicates = 0;
  #failures = 0;
  readonly #dropped: Record<UsageDropReason, number> = { queue_full: 0, invalid: 0, shutdown: 0 };

  constructor(options: UsageBufferOptions) {
    this.#logger = options.logger;
    this.#queue = new UsageQueue(options.maxQueue);
    this.#metrics = new UsageSinkMetrics(options.meter, () => this.#queue.size + this.#inFlight);
    this.#overflow = new UsageOverflowLog(options.logger, this.#queue.capacity);
  }

  /** Records waiting to be sent. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Records sent and not yet settled. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Appends `rec` (dropping the oldest when full). Returns false, and counts a `shutdown` drop,
   * once `close()` was called: the caller then has nothing to send.
   */
  record(rec: UsageRecord): boolean {
    if (this.#closing) {
      this.drop('shutdown', 1);
      return false;
    }
    if (this.#queue.push(rec) !== undefined) this.drop('queue_full', 1);
    return true;
  }

  /** The oldest queued record, removed from the ring. */
  shift(): UsageRecord | undefined {
    return this.#queue.shift();
  }

  /**
   * The record's wire form, or undefined when it cannot be sent: a record without a request id or
   * one protobuf cannot encode is dropped (`invalid`) and logged.
   */
  encodeOrDrop(rec: UsageRecord): Uint8Array | undefined {
    return this.checkOrDrop(rec) ? encodeUsageRecord(rec) : undefined;
  }

  /**
   * Whether the record can be sent, without encoding it (for a sink that encodes whole batches):
   * false, and dropped (`invalid`) and logged, as `encodeOrDrop` would.
   */
  checkOrDrop(rec: UsageRecord): boolean {
    try {
      if (rec.requestId === '') throw new Error('requestId is empty');
      checkUsageRecord(rec);
      return true;
    } catch (err) {
      this.drop('invalid', 1);
      this.#logger.error(
        { requestId: rec.requestId, err: errorMessage(err) },
        'dropped an invalid usage record',
      );
      return false;
    }
  }

  /** `count` records left the ring and await their acknowledgement. */
  sent(count: number): void {
    this.#inFlight += count;
  }

  /** `count` sent records are acknowledged, refused or put back: no longer in flight. */
  settled(count: number): void {
    this.#inFlight -= count;
  }

  /** Puts records that failed back in front of the ring, in their order; no room: `queue_full` drops. */
  requeue(records: readonly UsageRecord[]): void {
    for (let i = records.length - 1; i >= 0; i--) {
      if (this.#queue.unshift(records[i]!) !== undefined) this.drop('queue_full', 1);
    }
  }

  /** The destination acknowledged `stored` new records and `duplicates` retries already stored. */
  published(stored: number, duplicates: number): void {
    this.#published += stored + duplicates;
    this.#duplicates += duplicates;
    this.#metrics.published(false, stored);
    this.#metrics.published(true, duplicates);
  }

  /** One failed send attempt (its records were requeued by the caller). */
  failed(): void {
    this.#failures++;
    this.#metrics.failed();
  }

  drop(reason: UsageDropReason, count: number): void {
    this.#dropped[reason] += count;
    this.#metrics.dropped(reason, count);
    if (reason === 'queue_full') this.#overflow.dropped(count);
  }

  stats(connected: boolean): UsageSinkStats {
    return {
      connected,
      queued: this.#queue.size,
      inFlight: this.#inFlight,
      published: this.#published,
      duplicates: this.#duplicates,
      failures: this.#failures,
      dropped: { ...this.#dropped },
    };
  }

  /** Nothing queued and nothing in flight. */
  idle(): boolean {
    return this.#queue.size === 0 && this.#inFlight === 0;
  }

  /** Resolves the pending `flush()` calls when idle; the sink calls it after records settle. */
  wakeIfIdle(): void {
    if (!this.idle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves true once every buffered record was acknowledged, false after `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean> {
    if (this.idle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.#idleWaiters.push(done);
    });
  }

  /** Stops taking records (later ones are `shutdown` drops). False when it was already closed. */
  close(): boolean {
    if (this.#closing) return false;
    this.#closing = true;
    return true;
  }

  /**
   * At the end of shutdown: reports pending overflow drops and, unless the flush succeeded, counts
   * what is still queued or in flight as lost (`shutdown`). Returns the number lost.
   */
  discardRemaining(flushed: boolean): number {
    this.#overflow.flush();
    const lost = this.#queue.size + this.#inFlight;
    if (flushed || lost === 0) return 0;
    this.drop('shutdown', lost);
    return lost;
  }
}
