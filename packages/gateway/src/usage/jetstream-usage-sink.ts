import { errorMessage } from '@hubpo/core';
import { configNatsConnectionOptions, usageSubject } from '@hubpo/snapshot';
import type { Telemetry } from '@hubpo/telemetry';
import { connect } from 'nats';
import type { ConnectionOptions, JetStreamClient, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { UsageRecord, UsageSink } from '../ai/usage-sink.js';
import { redactUrl } from '../gateway-config.js';
import { UsageBuffer } from './usage-buffer.js';
import { UsageSendScheduler } from './usage-send-scheduler.js';
import type { UsageSinkStats } from './usage-sink-stats.js';

// Re-exported where it was first declared, so existing imports keep working.
export type { UsageSinkStats } from './usage-sink-stats.js';

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

const DEFAULTS = Object.freeze({
  maxQueue: 10_000,
  maxInFlight: 128,
  publishTimeoutMs: 5_000,
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
  readonly #buffer: UsageBuffer;
  readonly #subject: string;
  readonly #sender: UsageSendScheduler;
  readonly #maxInFlight: number;
  readonly #publishTimeoutMs: number;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #online = false;
  #running: Promise<void> | undefined;
  #wakeConnectLoop: (() => void) | undefined;

  constructor(options: JetStreamUsageSinkOptions) {
    this.#o = options;
    this.#buffer = new UsageBuffer({
      logger: options.logger,
      meter: options.meter,
      maxQueue: options.maxQueue ?? DEFAULTS.maxQueue,
    });
    this.#subject = usageSubject(options.cluster);
    this.#maxInFlight = options.maxInFlight ?? DEFAULTS.maxInFlight;
    this.#publishTimeoutMs = options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs;
    // Its backoff also paces the connection attempts.
    this.#sender = new UsageSendScheduler({
      retryInitialMs: options.retryInitialMs,
      retryMaxMs: options.retryMaxMs,
      ready: () => this.#online,
      pump: () => this.#pump(),
    });
  }

  /** Connects in the background (retrying forever); records are buffered meanwhile. */
  start(): void {
    this.#running ??= this.#connectLoop();
  }

  record(rec: UsageRecord): void {
    if (this.#buffer.record(rec)) this.#sender.schedule();
  }

  stats(): UsageSinkStats {
    return this.#buffer.stats(this.#online);
  }

  /** Resolves true once every buffered record was acknowledged, false after `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean> {
    return this.#buffer.flush(timeoutMs);
  }

  /**
   * Stops taking records, publishes what is buffered for up to `flushTimeoutMs`, then closes the
   * connection. Records still buffered then are lost (logged and counted as `shutdown` drops).
   */
  async stop(flushTimeoutMs = 5_000): Promise<void> {
    // From here on no more records are accepted.
    if (!this.#buffer.close()) return;
    // Waits for the connection too: records buffered before NATS was reached still go out.
    const flushed = await this.flush(flushTimeoutMs);
    this.#sender.stop(); // nothing is published any more
    this.#wakeConnectLoop?.();
    const lost = this.#buffer.discardRemaining(flushed);
    if (lost > 0) {
      this.#o.logger.error({ lost }, 'usage records not published before shutdown are lost');
    }
    const nc = this.#nc;
    if (nc !== undefined && !nc.isClosed()) await nc.close().catch(() => undefined);
    await this.#running;
  }

  async #connectLoop(): Promise<void> {
    const servers = this.#o.servers.split(',').map((s) => s.trim());
    const where = redactUrl(this.#o.servers);
    const backoff = this.#sender.backoff;
    while (!this.#sender.stopped) {
      try {
        const nc = await connect(
          configNatsConnectionOptions(servers, {
            name: this.#o.name ?? 'hubpo-gateway usage',
            timeout: 2_000,
            ...this.#o.connection,
          }),
        );
        if (this.#sender.stopped) {
          await nc.close();
          return;
        }
        this.#nc = nc;
        this.#js = nc.jetstream();
        this.#online = true;
        backoff.reset();
        this.#o.logger.info({ servers: where, subject: this.#subject }, 'usage records publish to NATS');
        void this.#followStatus(nc);
        this.#sender.schedule();
        return;
      } catch (err) {
        const delay = backoff.next();
        if (backoff.attempts === 1) {
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
          { queued: this.#buffer.queued },
          'NATS reconnected; publishing buffered usage records',
        );
        this.#sender.resume();
      }
    }
    this.#online = false;
  }

  #pump(): void {
    // Runs from the scheduler, in a later turn of the event loop, never inside `record()`.
    while (this.#buffer.inFlight < this.#maxInFlight && this.#online && this.#sender.sending) {
      const rec = this.#buffer.shift();
      if (rec === undefined) break;
      this.#buffer.sent(1);
      void this.#publish(rec).finally(() => {
        this.#buffer.settled(1);
        this.#buffer.wakeIfIdle();
        this.#sender.schedule();
      });
    }
  }

  async #publish(rec: UsageRecord): Promise<void> {
    const js = this.#js;
    if (js === undefined) return this.#requeue(rec);
    const data = this.#buffer.encodeOrDrop(rec);
    if (data === undefined) return;
    try {
      const ack = await js.publish(this.#subject, data, {
        msgID: rec.requestId,
        timeout: this.#publishTimeoutMs,
      });
      this.#buffer.published(ack.duplicate ? 0 : 1, ack.duplicate ? 1 : 0);
      if (this.#sender.succeeded()) {
        this.#o.logger.info({ queued: this.#buffer.queued }, 'usage records publish again');
      }
    } catch (err) {
      this.#buffer.failed();
      this.#requeue(rec);
      this.#pause(err);
    }
  }

  #requeue(rec: UsageRecord): void {
    this.#buffer.requeue([rec]);
  }

  /** After a failure nothing is published until the backoff delay passed. */
  #pause(err: unknown): void {
    if (this.#sender.pause()) {
      this.#o.logger.warn(
        { err: errorMessage(err), queued: this.#buffer.queued },
        'usage records cannot be published (NATS or the HUBPO_USAGE stream unavailable); retrying',
      );
    }
  }
}
