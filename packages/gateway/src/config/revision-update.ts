import type { HubpoError } from '@hubpo/core';
import type { DiscoveryResponse } from '@hubpo/snapshot';

/** Where a revision came from. */
export type ConfigSource = 'lkg' | 'grpc' | 'nats';

/**
 * One whole revision as a driver received it: either the complete resource set (`full`) or a
 * delta against the resources the gateway holds (a ConfigDiscovery response without its nonce).
 * The applier assembles it and checks every version and the snapshot hash.
 */
export type RevisionUpdate = Omit<DiscoveryResponse, 'nonce'>;

/** The revision a gateway serves: 0 and "" before any config. */
export interface HeldRevision {
  readonly revision: number;
  readonly hash: string;
  /** The control-plane epoch that numbered `revision` ("" = none held or unknown; ADR 0008). */
  readonly epoch: string;
}

/**
 * What `ConfigApplier.apply` did. `revision`/`hash` are always what the gateway serves afterwards,
 * which is what an ACK or NACK states.
 * - applied: a new runtime serves the update;
 * - unchanged: the update's hash is what is already served (only the revision moved);
 * - stale: older than (or conflicting with) the served revision of the same epoch, ignored (a
 *   revision of another epoch is never stale: it replaces what is served, see ADR 0008);
 * - rejected: the update could not be assembled, decoded or compiled; the old runtime serves on.
 */
export type ApplyOutcome =
  | { readonly kind: 'applied'; readonly revision: number; readonly hash: string }
  | { readonly kind: 'unchanged'; readonly revision: number; readonly hash: string }
  | { readonly kind: 'stale'; readonly revision: number; readonly hash: string; readonly offered: number }
  | {
      readonly kind: 'rejected';
      readonly revision: number;
      readonly hash: string;
      readonly offered: number;
      readonly error: HubpoError;
    };
