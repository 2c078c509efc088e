import type { UsageDropReason } from './usage-sink-metrics.js';

/** Counters of the sink since it started (also exported as metrics). */
export interface UsageSinkStats {
  readonly connected: boolean;
  /** Records waiting to be published. */
  readonly queued: number;
  /** Records published and awaiting their acknowledgement (PubAck or gRPC ACK). */
  readonly inFlight: number;
  /** Records the destination acknowledged (duplicates included). */
  readonly published: number;
  /** Acknowledged records that were already stored (a retry: duplicate `Nats-Msg-Id` or request id). */
  readonly duplicates: number;
  /** Failed publish attempts; each failed record was queued again. */
  readonly failures: number;
  readonly dropped: Readonly<Record<UsageDropReason, number>>;
}
