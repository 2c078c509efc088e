import { credentials as grpcCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import type { ChannelCredentials, ChannelOptions, ClientDuplexStream, StatusObject } from '@grpc/grpc-js';
import { loadUsageReporting } from '@hubpo/snapshot';
import type { UsageAck, UsageBatch, UsageReportingClient } from '@hubpo/snapshot';
import type { Telemetry } from '@hubpo/telemetry';
import type { Logger } from 'pino';
import type { UsageRecord, UsageSink } from '../ai/usage-sink.js';
import { UsageBuffer } from './usage-buffer.js';
import { UsageSendScheduler } from './usage-send-scheduler.js';
import type { UsageSinkStats } from './usage-sink-stats.js';

export interface GrpcUsageSinkOptions {
  /** gRPC target of the control plane (`HUBPO_CONTROL_PLANE_GRPC`, the ConfigDiscovery address). */
  readonly target: string;
  /** The config stream's channel credentials (insecure when absent, as ConfigDiscovery today). */
  readonly credentials?: ChannelCredentials;
  readonly channelOptions?: Partial<ChannelOptions>;
  /** This gateway's cluster and node id, sent with each batch. */
  readonly cluster: string;
  readonly nodeId: string;
  readonly logger: Logger;
  readonly meter?: Telemetry['meter'];
  /** Records buffered while the control plane is away; beyond it the oldest are dropped. Default 10 000. */
  readonly maxQueue?: number;
  /** Records per batch. Default 500 (the control plane takes up to 1000). */
  readonly maxBatch?: number;
  /**
   * How long a record waits for others before a batch goes out, unless `maxBatch` are queued.
   * Default 20 ms: under load batches fill up, which is far cheaper per record on both planes.
   */
  readonly lingerMs?: number;
  /** Batches sent and awaiting their ACK at once. Default 4. */
  readonly maxInFlightBatches?: number;
  /** How long a batch waits for its ACK before the stream is given up and everything resent. Default 10 s. */
  readonly ackTimeoutMs?: number;
  /** Retry delays after a failed stream or a refused batch. Default 200 ms .. 5 s. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
}

type ReportCall = ClientDuplexStream<UsageBatch, UsageAck>;

const DEFAULTS = Object.freeze({
  maxQueue: 10_000,
  maxBatch: 500,
  maxInFlightBatches: 4,
  ackTimeoutMs: 10_000,
  lingerMs: 20,
});

/**
 * Reports usage records to the control plane over gRPC (`hubpo.usage.v1.UsageReporting/Report`,
 * docs/design/usage-pipeline.md), for gateways without NATS: one stream to the control plane the
 * gateway takes its config from, records sent in batches, each answered by an ACK with its id.
 *
 * `record()` is the same as the JetStream sink's: synchronous, O(1), no I/O, never throws; a
 * bounded ring drops (counts and logs) its oldest record when full. A batch stays owned by the
 * sink until its ACK: a refused batch (`error` set), a broken stream or an ACK that does not come
 * in time puts its records back in front of the ring, and sending pauses with backoff. So delivery
 * is at-least-once, and the control plane's insert keyed by request id makes it exactly-once.
 */
export class GrpcUsageSink implements UsageSink {
  readonly #o: GrpcUsageSinkOptions;
  readonly #buffer: UsageBuffer;
  readonly #sender: UsageSendScheduler;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #ackTimeoutMs: number;
  /** Batches sent on the current stream and not yet acknowledged, oldest first. */
  readonly #pending = new Map<number, UsageRecord[]>();
  #client: UsageReportingClient | undefined;
  #call: ReportCall | undefined;
  #connected = false;
  #nextBatchId = 0;
  #ackTimer: NodeJS.Timeout | undefined;

  constructor(options: GrpcUsageSinkOptions) {
    this.#o = options;
    this.#buffer = new UsageBuffer({
      logger: options.logger,
      maxQueue: options.maxQueue ?? DEFAULTS.maxQueue,
      meter: options.meter,
    });
    this.#maxBatch = options.maxBatch ?? DEFAULTS.maxBatch;
    this.#maxInFlight = options.maxInFlightBatches ?? DEFAULTS.maxInFlightBatches;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? DEFAULTS.ackTimeoutMs;
    this.#sender = new UsageSendScheduler({
      retryInitialMs: options.retryInitialMs,
      retryMaxMs: options.retryMaxMs,
      lingerMs: options.lingerMs ?? DEFAULTS.lingerMs,
      ready: () => this.#client !== undefined,
      pump: () => this.#pump(),
    });
  }

  /** Creates the channel; the stream opens with the first records (and reopens after failures). */
  start(): void {
    if (this.#client !== undefined || this.#sender.stopped) return;
    const { Client } = loadUsageReporting();
    this.#client = new Client(this.#o.target, this.#o.credentials ?? grpcCredentials.createInsecure(), {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5_000,
      ...this.#o.channelOptions,
    });
    this.#sender.schedule();
  }

  record(rec: UsageRecord): void {
    if (this.#buffer.record(rec)) this.#schedule();
  }

  /** A full batch goes out in the next turn; fewer records linger for more. */
  #schedule(): void {
    if (this.#buffer.queued >= this.#maxBatch) this.#sender.scheduleNow();
    else this.#sender.schedule();
  }

  stats(): UsageSinkStats {
    return this.#buffer.stats(this.#connected);
  }

  /** Resolves true once every buffered record was acknowledged, false after `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean> {
    this.#sender.scheduleNow();
    return this.#buffer.flush(timeoutMs);
  }

  /**
   * Stops taking records, reports what is buffered for up to `flushTimeoutMs`, then closes the
   * channel. Records still unacknowledged then are lost (logged and counted as `shutdown` drops).
   */
  async stop(flushTimeoutMs = 5_000): Promise<void> {
    if (!this.#buffer.close()) return;
    const flushed = await this.flush(flushTimeoutMs);
    this.#sender.stop();
    this.#clearAckTimer();
    const lost = this.#buffer.discardRemaining(flushed);
    if (lost > 0) {
      this.#o.logger.error({ lost }, 'usage records not reported before shutdown are lost');
    }
    const call = this.#call;
    this.#call = undefined;
    if (call !== undefined) {
      // Half-close and let the control plane end the stream; cancel if it does not.
      call.end();
      call.cancel();
    }
    this.#client?.close();
  }

  #pump(): void {
    // Runs from the scheduler, in a later turn of the event loop, never inside `record()`.
    while (this.#pending.size < this.#maxInFlight && this.#buffer.queued > 0 && this.#sender.sending) {
      const records = this.#takeBatch();
      if (records.length === 0) break;
      const call = this.#call ?? this.#open();
      const batchId = ++this.#nextBatchId;
      this.#pending.set(batchId, records);
      this.#buffer.sent(records.length);
      this.#armAckTimer(call);
      call.write({ batchId, cluster: this.#o.cluster, nodeId: this.#o.nodeId, records });
    }
    this.#buffer.wakeIfIdle();
  }

  /** Up to `maxBatch` records off the ring; one the wire cannot carry is dropped and counted. */
  #takeBatch(): UsageRecord[] {
    const records: UsageRecord[] = [];
    while (records.length < this.#maxBatch) {
      const rec = this.#buffer.shift();
      if (rec === undefined) break;
      // The batch must serialize: check each record on its own (the batch encodes them once).
      if (this.#buffer.checkOrDrop(rec)) records.push(rec);
    }
    return records;
  }

  #open(): ReportCall {
    const call = this.#client!.report();
    this.#call = call;
    call.on('metadata', () => {
      if (this.#call === call) this.#connected = true;
    });
    call.on('data', (ack: UsageAck) => this.#onAck(call, ack));
    // 'error' precedes 'status' for every non-OK end; 'status' comes exactly once per call.
    call.on('error', () => undefined);
    call.on('status', (status: StatusObject) => this.#onClosed(call, status));
    return call;
  }

  #onAck(call: ReportCall, ack: UsageAck): void {
    if (this.#call !== call) return;
    this.#connected = true;
    const records = this.#pending.get(ack.batchId);
    if (records === undefined) return;
    this.#pending.delete(ack.batchId);
    this.#buffer.settled(records.length);
    this.#clearAckTimer();
    if (this.#pending.size > 0) this.#armAckTimer(call);
    if (ack.error !== '') {
      this.#buffer.failed();
      this.#buffer.requeue(records);
      this.#pause(ack.error);
    } else {
      this.#buffer.published(ack.stored, ack.duplicates);
      if (ack.invalid > 0) this.#buffer.drop('invalid', ack.invalid);
      if (this.#sender.succeeded()) {
        this.#o.logger.info({ queued: this.#buffer.queued }, 'usage records are reported again');
      }
    }
    this.#buffer.wakeIfIdle();
    this.#schedule();
  }

  /** The stream ended (control plane gone, stopping, or refused it): resend what was not acknowledged. */
  #onClosed(call: ReportCall, status: StatusObject): void {
    if (this.#call !== call) return;
    this.#call = undefined;
    this.#connected = false;
    this.#clearAckTimer();
    const unacked = this.#buffer.inFlight;
    this.#requeuePending();
    if (this.#sender.stopped) return;
    if (status.code === GrpcStatus.OK && unacked === 0) {
      this.#sender.schedule();
      return;
    }
    this.#buffer.failed();
    this.#pause(`${GrpcStatus[status.code] ?? status.code}: ${status.details}`);
  }

  #ackTimedOut(call: ReportCall): void {
    this.#ackTimer = undefined;
    if (this.#call !== call) return;
    this.#o.logger.warn({ timeoutMs: this.#ackTimeoutMs }, 'no usage ACK in time; reopening the stream');
    call.cancel(); // ends in #onClosed, which resends
  }

  /** Every unacknowledged batch back in front of the ring, in the order it was taken. */
  #requeuePending(): void {
    const batches = [...this.#pending.values()];
    this.#pending.clear();
    this.#buffer.settled(this.#buffer.inFlight);
    for (let i = batches.length - 1; i >= 0; i--) this.#buffer.requeue(batches[i]!);
  }

  /** After a failure nothing is sent until the backoff delay passed. */
  #pause(reason: string): void {
    if (this.#sender.pause()) {
      this.#o.logger.warn(
        { target: this.#o.target, reason, queued: this.#buffer.queued },
        'usage records cannot be reported to the control plane; buffering and retrying',
      );
    }
  }

  /** One timer for the oldest unacknowledged batch (re-armed after each ACK). */
  #armAckTimer(call: ReportCall): void {
    if (this.#ackTimer !== undefined) return;
    this.#ackTimer = setTimeout(() => this.#ackTimedOut(call), this.#ackTimeoutMs);
    this.#ackTimer.unref();
  }

  #clearAckTimer(): void {
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }
}
