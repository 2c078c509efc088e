import type { AnyResource } from '@hubpo/api';
import type { ConfigObject } from '@hubpo/snapshot';
import { buildIr } from './build-ir.js';
import type { ClusterInfo, DefaultPlacement } from './cluster-info.js';
import { irToConfig } from './ir-to-config.js';
import { DEFAULT_NAMESPACE } from './meta-of.js';
import { objectKey } from './object-key.js';
import type { ObjectStatus } from './object-status.js';
import { placedIn } from './placed-in.js';

export interface TranslateInput {
  readonly cluster: ClusterInfo;
  /** Every resource the control plane holds; placement is evaluated here. */
  readonly resources: readonly AnyResource[];
  /**
   * Where resources without `spec.placement` apply: `all` -> every cluster (admin-API objects);
   * `origin` -> the cluster each was applied in (`origins`), or every cluster when it has none.
   */
  readonly defaultPlacement: DefaultPlacement;
  /** For defaultPlacement 'origin': the cluster each object was applied in, by objectKey(). */
  readonly origins?: ReadonlyMap<string, string>;
  /** Sealed credentials for AIModel targets by `<namespace>/<name>/<targetIndex>`, already sealed for the data plane; absent -> ResolvedRefs=False for a target with credentialsRef. */
  readonly credentials?: ReadonlyMap<string, string>;
}

export interface TranslateResult {
  /** Sorted by kind then id, deterministic. Objects at fault are left out; the rest are kept. */
  readonly objects: readonly ConfigObject[];
  /** One per resource placed in this cluster, sorted. */
  readonly statuses: readonly ObjectStatus[];
}

const NO_CREDENTIALS: ReadonlyMap<string, string> = new Map();

/**
 * The config objects of one cluster's snapshot and a status per resource placed there. Pure: no
 * I/O, no clock, no randomness; the same input in any order gives the same output. User errors
 * become statuses; a broken input contract (missing generation or creationTimestamp, the same
 * object twice, unvalidated values) throws a HubpoError TRANSLATION so no snapshot is published.
 */
export function translate(input: TranslateInput): TranslateResult {
  const { cluster, defaultPlacement, origins } = input;
  const placed = input.resources.filter((resource) => {
    const needsOrigin = defaultPlacement === 'origin' && resource.spec.placement === undefined;
    const { namespace = DEFAULT_NAMESPACE, name } = resource.metadata;
    const origin = needsOrigin ? origins?.get(objectKey(resource.kind, namespace, name)) : undefined;
    return placedIn(resource, cluster, origin, defaultPlacement);
  });
  const { ir, statuses } = buildIr(placed, cluster, input.credentials ?? NO_CREDENTIALS);
  return { objects: irToConfig(ir), statuses };
}
