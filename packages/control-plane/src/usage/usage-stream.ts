import { USAGE_STREAM, USAGE_SUBJECTS } from '@hubpo/snapshot';
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, nanos } from 'nats';
import type { JetStreamManager } from 'nats';

/** How the control plane configures the usage stream and its consumer (docs/design/usage-pipeline.md). */
export interface UsageStreamSettings {
  /** Records older than this leave the stream (whether stored in Postgres or not). Default 7 days. */
  readonly maxAgeMs: number;
  /** The stream's size limit; the oldest records go first. Default 1 GiB. */
  readonly maxBytes: number;
  /** A `Nats-Msg-Id` seen within this window is stored once. Default 2 minutes. */
  readonly duplicateWindowMs: number;
  /** Durable pull consumer shared by every control plane replica. */
  readonly durable: string;
  /** Unacknowledged records are redelivered after this. Default 30 s. */
  readonly ackWaitMs: number;
  /** Records delivered and not yet acknowledged, at most. Default 10 000. */
  readonly maxAckPending: number;
  /** Stream replicas when the stream is created (`HUBPO_NATS_REPLICAS`). Default 1. */
  readonly replicas: number;
}

export const DEFAULT_USAGE_STREAM_SETTINGS: UsageStreamSettings = Object.freeze({
  maxAgeMs: 7 * 24 * 3600 * 1000,
  maxBytes: 1024 ** 3,
  duplicateWindowMs: 2 * 60 * 1000,
  durable: 'hubpo-control-plane-usage',
  ackWaitMs: 30_000,
  maxAckPending: 10_000,
  replicas: 1,
});

/**
 * Creates the `HUBPO_USAGE` stream (limits retention on disk: records stay until `maxAgeMs` or
 * `maxBytes`, so they can be replayed after a database restore) or brings an existing one to
 * these settings. Idempotent; several replicas may run it at once.
 */
export async function ensureUsageStream(jsm: JetStreamManager, s: UsageStreamSettings): Promise<void> {
  const limits = {
    subjects: [USAGE_SUBJECTS],
    max_age: nanos(s.maxAgeMs),
    max_bytes: s.maxBytes,
    duplicate_window: nanos(s.duplicateWindowMs),
    discard: DiscardPolicy.Old,
  };
  const exists = await jsm.streams.info(USAGE_STREAM).then(
    () => true,
    (err: unknown) => {
      if (isNotFound(err)) return false;
      throw err;
    },
  );
  if (exists) {
    await jsm.streams.update(USAGE_STREAM, limits);
    return;
  }
  await jsm.streams
    .add({
      name: USAGE_STREAM,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: s.replicas,
      ...limits,
    })
    .catch(async (err: unknown) => {
      // Another replica created it first.
      await jsm.streams.info(USAGE_STREAM).catch(() => Promise.reject(err));
    });
}

/** Creates the durable pull consumer, or updates its ack wait and pending limit. */
export async function ensureUsageConsumer(jsm: JetStreamManager, s: UsageStreamSettings): Promise<void> {
  const tunables = { ack_wait: nanos(s.ackWaitMs), max_ack_pending: s.maxAckPending };
  const exists = await jsm.consumers.info(USAGE_STREAM, s.durable).then(
    () => true,
    (err: unknown) => {
      if (isNotFound(err)) return false;
      throw err;
    },
  );
  if (exists) {
    await jsm.consumers.update(USAGE_STREAM, s.durable, tunables);
    return;
  }
  await jsm.consumers.add(USAGE_STREAM, {
    durable_name: s.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: USAGE_SUBJECTS,
    max_deliver: -1,
    ...tunables,
  });
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: string; api_error?: { err_code?: number } };
  // 10059 stream not found, 10014 consumer not found.
  return e.code === '404' || e.api_error?.err_code === 10059 || e.api_error?.err_code === 10014;
}
