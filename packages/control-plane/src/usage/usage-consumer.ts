import { errorMessage } from '@hubpo/core';
import type { Runner } from '@hubpo/core';
import {
  USAGE_STREAM,
  clusterOfUsageSubject,
  configNatsConnectionOptions,
  decodeUsageRecord,
} from '@hubpo/snapshot';
import type { UsageRecord } from '@hubpo/snapshot';
import type { Telemetry } from '@hubpo/telemetry';
import { connect } from 'nats';
import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import type { Logger } from '../logger.js';
import { DEFAULT_USAGE_STREAM_SETTINGS, ensureUsageConsumer, ensureUsageStream } from './usage-stream.js';
import type { UsageStreamSettings } from './usage-stream.js';
import type { UsageStore } from './usage-store.js';
import { UsageStoreMetrics } from './usage-store-metrics.js';

export interface UsageConsumerOptions {
  /** NATS server URLs (`NATS_URL`). */
  readonly url: string;
  readonly store: UsageStore;
  readonly logger: Logger;
  readonly meter?: Telemetry['meter'];
  readonly settings?: Partial<UsageStreamSettings>;
  /** Most records inserted per statement. Default 500. */
  readonly maxBatch?: number;
  /** Retry delays after a failure (connecting, the stream, the database). Default 250 ms .. 5 s. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /**
   * Acknowledges a committed batch (default: `ack()` each message). A seam for tests that need
   * a consumer which dies between the commit and the acknowledgement.
   */
  readonly acknowledge?: (messages: readonly JsMsg[]) => void;
}

/** Counters since start (also exported as metrics). */
export interface UsageConsumerStats {
  /** Records inserted (first time their request id was seen). */
  readonly stored: number;
  /** Records whose request id was stored already (redeliveries, re-publishes): acknowledged, not stored. */
  readonly duplicates: number;
  /** Messages that were not a UsageRecord: terminated, never redelivered. */
  readonly invalid: number;
  readonly batches: number;
}

interface Decoded {
  readonly cluster: string;
  readonly record: UsageRecord;
}

/**
 * Stores the usage records gateways publish (docs/design/usage-pipeline.md). It creates the
 * `HUBPO_USAGE` stream and a durable pull consumer, then loops: take the records delivered so far
 * (up to `maxBatch`), insert them in one statement (`on conflict (request_id) do nothing`) and
 * acknowledge them only after the commit. A crash between the two means redelivery, which the
 * insert ignores, so every record is stored exactly once. A database failure naks the batch with
 * a delay (redelivered later); a message that is not a UsageRecord is terminated.
 *
 * Like the NATS config driver, it runs beside the rest: `start()` does not wait for NATS, and
 * outages are retried forever in the background.
 */
export class UsageConsumer implements Runner {
  readonly name = 'usage-consumer';
  readonly #o: UsageConsumerOptions;
  readonly #settings: UsageStreamSettings;
  readonly #maxBatch: number;
  readonly #metrics: UsageStoreMetrics;
  #stats: { stored: number; duplicates: number; invalid: number; batches: number } = {
    stored: 0,
    duplicates: 0,
    invalid: 0,
    batches: 0,
  };
  #nc: NatsConnection | undefined;
  #messages: ConsumerMessages | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #retryMs: number;
  #wake: (() => void) | undefined;

  constructor(options: UsageConsumerOptions) {
    this.#o = options;
    this.#settings = { ...DEFAULT_USAGE_STREAM_SETTINGS, ...options.settings };
    this.#maxBatch = options.maxBatch ?? 500;
    this.#retryMs = options.retryMinMs ?? 250;
    this.#metrics = new UsageStoreMetrics(options.meter, 'jetstream');
  }

  stats(): UsageConsumerStats {
    return { ...this.#stats };
  }

  async start(): Promise<void> {
    this.#running = this.#run();
  }

  /** Stops pulling; a batch being inserted finishes (and is acknowledged) first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    this.#messages?.stop();
    await this.#running;
    const nc = this.#nc;
    if (nc !== undefined && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#consume();
      } catch (err) {
        if (this.#stopped) return;
        this.#o.logger.warn(
          { err: errorMessage(err), retryMs: this.#retryMs },
          'usage consumer failed; retrying',
        );
        await this.#sleep(this.#nextRetry());
      }
    }
  }

  /** One session: connect (once), ensure the stream and consumer, then drain deliveries in batches. */
  async #consume(): Promise<void> {
    if (this.#nc?.isClosed() === true) this.#nc = undefined; // closed for good (not reconnecting)
    const nc = (this.#nc ??= await connect(
      configNatsConnectionOptions(this.#o.url, { name: 'hubpo-control-plane usage', timeout: 5_000 }),
    ));
    const jsm = await nc.jetstreamManager();
    await ensureUsageStream(jsm, this.#settings);
    await ensureUsageConsumer(jsm, this.#settings);
    const consumer = await nc.jetstream().consumers.get(USAGE_STREAM, this.#settings.durable);
    if (this.#stopped) return;
    const messages = await consumer.consume({ max_messages: this.#maxBatch });
    this.#messages = messages;
    this.#o.logger.info({ stream: USAGE_STREAM, durable: this.#settings.durable }, 'storing usage records');
    let batch: JsMsg[] = [];
    for await (const message of messages) {
      batch.push(message);
      // `getPending()` counts this message too: at 1 nothing else is buffered, so store now.
      if (batch.length >= this.#maxBatch || messages.getPending() <= 1) {
        await this.#storeBatch(batch);
        batch = [];
      }
      if (this.#stopped) break;
    }
    // Messages of an unfinished batch are not acknowledged: they are redelivered after ack_wait.
  }

  async #storeBatch(batch: readonly JsMsg[]): Promise<void> {
    const decoded: Decoded[] = [];
    const valid: JsMsg[] = [];
    for (const message of batch) {
      const item = decode(message);
      if (item === undefined) {
        this.#stats.invalid++;
        this.#metrics.invalid(1);
        this.#o.logger.error(
          { subject: message.subject, seq: message.seq },
          'dropped a message that is not a usage record',
        );
        message.term();
        continue;
      }
      decoded.push(item);
      valid.push(message);
    }
    if (decoded.length === 0) return;
    let stored: number;
    try {
      stored = await this.#o.store.insert(decoded);
    } catch (err) {
      const delayMs = this.#nextRetry();
      this.#o.logger.error(
        { err: errorMessage(err), records: decoded.length, delayMs },
        'cannot store usage records; redelivering',
      );
      for (const message of valid) message.nak(delayMs);
      await this.#sleep(delayMs);
      return;
    }
    this.#retryMs = this.#o.retryMinMs ?? 250;
    (this.#o.acknowledge ?? ackEach)(valid);
    this.#stats.batches++;
    this.#stats.stored += stored;
    this.#stats.duplicates += decoded.length - stored;
    this.#metrics.stored(stored);
    this.#metrics.duplicates(decoded.length - stored);
  }

  #nextRetry(): number {
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#o.retryMaxMs ?? 5_000, this.#retryMs * 2);
    return delay;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function ackEach(messages: readonly JsMsg[]): void {
  for (const message of messages) message.ack();
}

function decode(message: JsMsg): Decoded | undefined {
  try {
    const record = decodeUsageRecord(message.data);
    const cluster = clusterOfUsageSubject(message.subject);
    if (record.requestId === '' || cluster === undefined) return undefined;
    return { cluster, record };
  } catch {
    return undefined;
  }
}
