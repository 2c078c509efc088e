import { errorMessage } from '@hubpo/core';
import { configNatsConnectionOptions, encodeUsageRecord, usageSubject } from '@hubpo/snapshot';
import type { Telemetry } from '@hubpo/telemetry';
import { connect } from 'nats';
import type { ConnectionOptions, JetStreamClient, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { UsageRecord, UsageSink } from '../ai/usage-sink.js';
import { Backoff } from '../config/backoff.js';
import { redactUrl } from '../gateway-config.js';
import { UsageOverflowLog } from './usage-overflow-log.js';
import { UsageQueue } from './usage-queue.js';
import { UsageSinkMetrics } from './usage-sink-metrics.js';
import type { UsageDropReason } from './usage-sink-metrics.js';

export interface JetStreamUsageSinkOptions {
  /** NATS server URLs, comma-separated (`NATS_URL`). May hold credentials; logged redacted. */
  readonly servers: string;
  /** This gateway's cluster: records go to `hubpo.usage.<cluster>`. */
  readonly cluster: string;
  readonly logger: Logger;
  /** Instruments go here (the gateway's meter, so they show on its `/metrics`). */
  readonly meter?: Telemetry['meter'];
  /** NATS connection name, e.g. `hubpo-gateway <node> usage`. */
  readonly name?: string;
  /** Records buffered while NATS or the stream is away; beyond it the oldest are dropped. Default 10 000. */
  readonly maxQueue?: number;
  /** Publishes awaiting their PubAck at once. Default 128. */
  readonly maxInFlight?: number;
  /** How long a publish waits for the stream's PubAck before it is retried. Default 5 s. */
  readonly publishTimeoutMs?: number;
  /** Retry delays after a failed publish (and between connection attempts). Default 200 ms .. 5 s. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** Extra NATS connection options (tests). */
  readonly connection?: Partial<ConnectionOptions>;
}

/** Counters of the sink since it started (also exported as metrics). */
export interface UsageSinkStats {
  readonly connected: boolean;
  /** Records waiting to be published. */
  readonly queued: number;
  /** Records published and awaiting their PubAck. */
  readonly inFlight: number;
  /** Records the stream acknowledged (duplicates included). */
  readonly published: number;
  /** PubAcks that reported a duplicate `Nats-Msg-Id` (a retry of a record already stored). */
  readonly duplicates: number;
  /** Failed publish attempts; each failed record was queued again. */
  readonly failures: number;
  readonly dropped: Readonly<Record<UsageDropReason, number>>;
}

const DEFAULTS = Object.freeze({
  maxQueue: 10_000,
  maxInFlight: 128,
  publishTimeoutMs: 5_000,
  retryInitialMs: 200,
  retryMaxMs: 5_000,
});

/**
 * Publishes usage records to the JetStream stream `HUBPO_USAGE` (docs/design/usage-pipeline.md):
 * one message per record on `hubpo.usage.<cluster>`, protobuf `hubpo.usage.v1.UsageRecord`, with
 * `Nats-Msg-Id` = request id so the stream stores a retried record once.
 *
 * `record()` is what the request path calls: synchronous, O(1), no I/O, never throws. It appends
 * to a bounded ring (`maxQueue`); when the ring is full the oldest record is dropped and counted.
 * Publishing runs on the event loop in the background, up to `maxInFlight` PubAcks at a time. A
 * publish that fails (NATS away, the stream not created yet, no PubAck in time) puts its record
 * back at the front and pauses publishing with backoff; nothing is removed from the ring before
 * the stream acknowledged it, so a NATS restart loses nothing that fits in the ring. The stream is
 * the control plane's: this sink never creates it, it waits (buffering) until it exists.
 */
export class JetStreamUsageSink implements UsageSink {
  readonly #o: JetStreamUsageSinkOptions;
  readonly #queue: UsageQueue<UsageRecord>;
  readonly #metrics: UsageSinkMetrics;
  readonly #overflow: UsageOverflowLog;
  readonly #subject: string;
  readonly #backoff: Backoff;
  readonly #maxInFlight: number;
  readonly #publishTimeoutMs: number;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #online = false;
  #inFlight = 0;
  #scheduled = false;
  #retry: NodeJS.Timeout | undefined;
  /** Set by stop(): no more records are accepted. */
  #closing = false;
  /** Set when stop() gave up waiting: nothing is published any more. */
  #stopped = false;
  #outage = false;
  #running: Promise<void> | undefined;
  #wakeConnectLoop: (() => void) | undefined;
  #idleWaiters: (() => void)[] = [];
  #published = 0;
  #duplicates = 0;
  #failures = 0;
  readonly #dropped: Record<UsageDropReason, number> = { queue_full: 0, invalid: 0, shutdown: 0 };

  constructor(options: JetStreamUsageSinkOptions) {
    this.#o = options;
    this.#queue = new UsageQueue(options.maxQueue ?? DEFAULTS.maxQueue);
    this.#subject = usageSubject(options.cluster);
    this.#maxInFlight = options.maxInFlight ?? DEFAULTS.maxInFlight;
    this.#publishTimeoutMs = options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs;
    this.#backoff = new Backoff({
      initialMs: options.retryInitialMs ?? DEFAULTS.retryInitialMs,
      maxMs: options.retryMaxMs ?? DEFAULTS.retryMaxMs,
    });
    this.#metrics = new UsageSinkMetrics(options.meter, () => this.#queue.size + this.#inFlight);
    this.#overflow = new UsageOverflowLog(options.logger, this.#queue.capacity);
  }

  /** Connects in the background (retrying forever); records are buffered meanwhile. */
  start(): void {
    this.#running ??= this.#connectLoop();
  }

  record(rec: UsageRecord): void {
    if (this.#closing) {
      this.#drop('shutdown', 1);
      return;
    }
    if (this.#queue.push(rec) !== undefined) this.#drop('queue_full', 1);
    this.#schedule();
  }

  stats(): UsageSinkStats {
    return {
      connected: this.#online,
      queued: this.#queue.size,
      inFlight: this.#inFlight,
      published: this.#published,
      duplicates: this.#duplicates,
      failures: this.#failures,
      dropped: { ...this.#dropped },
    };
  }

  /** Resolves true once every buffered record was acknowledged, false after `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean> {
    if (this.#idle()) return Promise.resolve(true);
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

  /**
   * Stops taking records, publishes what is buffered for up to `flushTimeoutMs`, then closes the
   * connection. Records still buffered then are lost (logged and counted as `shutdown` drops).
   */
  async stop(flushTimeoutMs = 5_000): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    // Waits for the connection too: records buffered before NATS was reached still go out.
    const flushed = await this.flush(flushTimeoutMs);
    this.#stopped = true;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#wakeConnectLoop?.();
    this.#overflow.flush();
    const lost = this.#queue.size + this.#inFlight;
    if (!flushed && lost > 0) {
      this.#drop('shutdown', lost);
      this.#o.logger.error({ lost }, 'usage records not published before shutdown are lost');
    }
    const nc = this.#nc;
    if (nc !== undefined && !nc.isClosed()) await nc.close().catch(() => undefined);
    await this.#running;
  }

  async #connectLoop(): Promise<void> {
    const servers = this.#o.servers.split(',').map((s) => s.trim());
    const where = redactUrl(this.#o.servers);
    while (!this.#stopped) {
      try {
        const nc = await connect(
          configNatsConnectionOptions(servers, {
            name: this.#o.name ?? 'hubpo-gateway usage',
            timeout: 2_000,
            ...this.#o.connection,
          }),
        );
        if (this.#stopped) {
          await nc.close();
          return;
        }
        this.#nc = nc;
        this.#js = nc.jetstream();
        this.#online = true;
        this.#backoff.reset();
        this.#o.logger.info({ servers: where, subject: this.#subject }, 'usage records publish to NATS');
        void this.#followStatus(nc);
        this.#schedule();
        return;
      } catch (err) {
        const delay = this.#backoff.next();
        if (this.#backoff.attempts === 1) {
          this.#o.logger.warn(
            { servers: where, err: errorMessage(err) },
            'NATS unreachable; buffering usage records',
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.#wakeConnectLoop = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wakeConnectLoop = undefined;
      }
    }
  }

  async #followStatus(nc: NatsConnection): Promise<void> {
    for await (const event of nc.status()) {
      const type = String(event.type);
      if (type === 'disconnect') {
        this.#online = false;
        this.#o.logger.warn('NATS disconnected; buffering usage records');
      } else if (type === 'reconnect') {
        this.#online = true;
        this.#o.logger.info(
          { queued: this.#queue.size },
          'NATS reconnected; publishing buffered usage records',
        );
        this.#resume();
      }
    }
    this.#online = false;
  }

  /** Publishing runs in a later turn of the event loop, never inside `record()`. */
  #schedule(): void {
    if (this.#scheduled || this.#stopped || !this.#online || this.#retry !== undefined) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (
      this.#inFlight < this.#maxInFlight &&
      this.#online &&
      this.#retry === undefined &&
      !this.#stopped
    ) {
      const rec = this.#queue.shift();
      if (rec === undefined) break;
      this.#inFlight++;
      void this.#publish(rec).finally(() => {
        this.#inFlight--;
        if (this.#idle()) this.#wakeIdle();
        this.#schedule();
      });
    }
  }

  async #publish(rec: UsageRecord): Promise<void> {
    const js = this.#js;
    if (js === undefined) return this.#requeue(rec);
    let data: Uint8Array;
    try {
      if (rec.requestId === '') throw new Error('requestId is empty');
      data = encodeUsageRecord(rec);
    } catch (err) {
      this.#drop('invalid', 1);
      this.#o.logger.error(
        { requestId: rec.requestId, err: errorMessage(err) },
        'dropped an invalid usage record',
      );
      return;
    }
    try {
      const ack = await js.publish(this.#subject, data, {
        msgID: rec.requestId,
        timeout: this.#publishTimeoutMs,
      });
      this.#published++;
      if (ack.duplicate) this.#duplicates++;
      this.#metrics.published(ack.duplicate);
      if (this.#outage) {
        this.#outage = false;
        this.#o.logger.info({ queued: this.#queue.size }, 'usage records publish again');
      }
      this.#backoff.reset();
    } catch (err) {
      this.#failures++;
      this.#metrics.failed();
      this.#requeue(rec);
      this.#pause(err);
    }
  }

  #requeue(rec: UsageRecord): void {
    if (this.#queue.unshift(rec) !== undefined) this.#drop('queue_full', 1);
  }

  /** After a failure nothing is published until the backoff delay passed. */
  #pause(err: unknown): void {
    if (this.#retry !== undefined || this.#stopped) return;
    if (!this.#outage) {
      this.#outage = true;
      this.#o.logger.warn(
        { err: errorMessage(err), queued: this.#queue.size },
        'usage records cannot be published (NATS or the HUBPO_USAGE stream unavailable); retrying',
      );
    }
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#schedule();
    }, this.#backoff.next());
    this.#retry.unref();
  }

  #resume(): void {
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#backoff.reset();
    this.#schedule();
  }

  #drop(reason: UsageDropReason, count: number): void {
    this.#dropped[reason] += count;
    this.#metrics.dropped(reason, count);
    if (reason === 'queue_full') this.#overflow.dropped(count);
  }

  #idle(): boolean {
    return this.#queue.size === 0 && this.#inFlight === 0;
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
