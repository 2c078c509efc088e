import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { errorMessage } from '@hubpo/core';
import { MAX_USAGE_BATCH_RECORDS, loadUsageReporting } from '@hubpo/snapshot';
import type {
  UsageAck,
  UsageBatch,
  UsageRecord,
  UsageReportingHandlers,
  UsageReportingServiceDefinition,
} from '@hubpo/snapshot';
import type { Telemetry } from '@hubpo/telemetry';
import type { Logger } from '../logger.js';
import { UsageStoreMetrics } from './usage-store-metrics.js';
import type { UsageStore } from './usage-store.js';

export type UsageReportCall = ServerDuplexStream<UsageBatch, UsageAck>;

export interface UsageReportingServiceOptions {
  readonly store: UsageStore;
  readonly logger: Logger;
  readonly meter?: Telemetry['meter'];
}

/** Batches of one stream received but not yet answered; beyond it the stream is paused. */
const MAX_QUEUED_BATCHES = 4;
/** A cluster name as gateways send it (`HUBPO_CLUSTER`, a DNS label). */
const CLUSTER = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The control plane's end of `hubpo.usage.v1.UsageReporting` (docs/design/usage-pipeline.md),
 * served on the gRPC port of ConfigDiscovery for gateways without NATS. Each stream's batches
 * are stored one after the other through the same idempotent insert as the JetStream consumer
 * (`on conflict (request_id) do nothing`) and answered with a `UsageAck` only after the commit;
 * a batch the database refused is answered with `error` set (the gateway resends it later).
 * A batch that breaks the contract (too many records, bad cluster) ends the stream with
 * INVALID_ARGUMENT. Authentication is the gRPC port's, as for ConfigDiscovery (mutual TLS and
 * the `HUBPO_GRPC_TOKEN` check of GrpcConfigServer, which runs before this handler).
 */
export class UsageReportingService {
  readonly service: UsageReportingServiceDefinition;
  readonly handlers: UsageReportingHandlers;
  readonly #o: UsageReportingServiceOptions;
  readonly #metrics: UsageStoreMetrics;
  readonly #sessions = new Set<ReportSession>();
  #closed = false;

  constructor(options: UsageReportingServiceOptions) {
    this.#o = options;
    this.#metrics = new UsageStoreMetrics(options.meter, 'grpc');
    this.service = loadUsageReporting().service;
    this.handlers = { report: (call) => this.#accept(call) };
  }

  /** Ends every stream once its batch in progress is stored and answered. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#sessions].map((s) => s.close()));
  }

  #accept(call: UsageReportCall): void {
    if (this.#closed) {
      call.emit('error', { code: GrpcStatus.UNAVAILABLE, details: 'the control plane is stopping' });
      return;
    }
    const session = new ReportSession(call, this.#o, this.#metrics, () => this.#sessions.delete(session));
    this.#sessions.add(session);
  }
}

/** One `Report` stream: batches stored in arrival order, one at a time. */
class ReportSession {
  readonly #call: UsageReportCall;
  readonly #o: UsageReportingServiceOptions;
  readonly #metrics: UsageStoreMetrics;
  readonly #onDone: () => void;
  /** At most MAX_QUEUED_BATCHES (plus what arrives before the pause takes hold). */
  readonly #queue: UsageBatch[] = [];
  #running: Promise<void> = Promise.resolve();
  #busy = false;
  #ended = false;
  #clientDone = false;
  #closing = false;

  constructor(
    call: UsageReportCall,
    o: UsageReportingServiceOptions,
    metrics: UsageStoreMetrics,
    onDone: () => void,
  ) {
    this.#call = call;
    this.#o = o;
    this.#metrics = metrics;
    this.#onDone = onDone;
    call.on('data', (batch: UsageBatch) => this.#received(batch));
    call.on('end', () => {
      this.#clientDone = true;
      if (!this.#busy) this.#finish();
    });
    call.on('error', () => this.#abandon());
    call.on('cancelled', () => this.#abandon());
  }

  /** Stops after the batch in progress (unanswered batches are resent by the gateway elsewhere). */
  async close(): Promise<void> {
    this.#closing = true;
    this.#queue.length = 0;
    await this.#running;
    this.#finish();
  }

  #received(batch: UsageBatch): void {
    if (this.#ended || this.#closing) return;
    const problem =
      batch.records.length > MAX_USAGE_BATCH_RECORDS
        ? `a batch holds at most ${MAX_USAGE_BATCH_RECORDS} records`
        : CLUSTER.test(batch.cluster)
          ? undefined
          : 'cluster must be a DNS label';
    if (problem !== undefined) {
      this.#o.logger.warn({ nodeId: batch.nodeId.slice(0, 256), problem }, 'refused a usage batch');
      this.#end({ code: GrpcStatus.INVALID_ARGUMENT, details: problem });
      return;
    }
    this.#queue.push(batch);
    if (this.#queue.length >= MAX_QUEUED_BATCHES) this.#call.pause();
    if (!this.#busy) this.#running = this.#drain();
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    let batch: UsageBatch | undefined;
    while (!this.#ended && (batch = this.#queue.shift()) !== undefined) {
      const ack = await this.#store(batch);
      if (this.#ended) break;
      this.#call.write(ack);
      if (this.#queue.length < MAX_QUEUED_BATCHES) this.#call.resume();
    }
    this.#queue.length = 0;
    this.#busy = false;
    if (this.#clientDone) this.#finish();
  }

  async #store(batch: UsageBatch): Promise<UsageAck> {
    const valid: { cluster: string; record: UsageRecord }[] = [];
    for (const record of batch.records) {
      if (record.requestId !== '') valid.push({ cluster: batch.cluster, record });
    }
    const invalid = batch.records.length - valid.length;
    if (invalid > 0) {
      this.#metrics.invalid(invalid);
      this.#o.logger.error(
        { cluster: batch.cluster, nodeId: batch.nodeId, invalid },
        'dropped usage records without a request id',
      );
    }
    try {
      const stored = await this.#o.store.insert(valid);
      this.#metrics.stored(stored);
      this.#metrics.duplicates(valid.length - stored);
      return { batchId: batch.batchId, stored, duplicates: valid.length - stored, invalid, error: '' };
    } catch (err) {
      this.#o.logger.error(
        { err: errorMessage(err), cluster: batch.cluster, records: valid.length },
        'cannot store reported usage records; the gateway will resend them',
      );
      return {
        batchId: batch.batchId,
        stored: 0,
        duplicates: 0,
        invalid: 0,
        error: 'cannot store usage records now',
      };
    }
  }

  #abandon(): void {
    this.#queue.length = 0;
    this.#ended = true;
    this.#onDone();
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#call.end();
    this.#onDone();
  }

  #end(error: { code: GrpcStatus; details: string }): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#queue.length = 0;
    this.#call.emit('error', error);
    this.#onDone();
  }
}
