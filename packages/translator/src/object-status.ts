import type { Condition, KindName } from '@hubpo/api';

/** Status of one resource placed in the cluster, as the translator sees it. */
export interface ObjectStatus {
  readonly kind: KindName;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  /** Accepted and ResolvedRefs, Gateway API style, observedGeneration set, no lastTransitionTime (no clock here). */
  readonly conditions: readonly Condition[];
}
