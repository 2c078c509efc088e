import type { AnyResource } from '@hubpo/api';
import type { ClusterInfo, DefaultPlacement } from './cluster-info.js';

/**
 * Whether a resource applies to a cluster.
 *
 * With `spec.placement`, every given condition must hold: the cluster is named in `clusters`
 * (an empty or absent list does not constrain) and its labels carry every `selector.matchLabels`
 * pair (an empty selector matches every cluster), so `placement: {}` means every cluster.
 * Without placement, `defaultPlacement` decides: `all` -> every cluster; `origin` -> the cluster
 * the object was applied in, or every cluster when it has no origin (admin-API objects).
 */
export function placedIn(
  resource: AnyResource,
  cluster: ClusterInfo,
  origin: string | undefined,
  defaultPlacement: DefaultPlacement,
): boolean {
  const placement = resource.spec.placement;
  if (placement === undefined) {
    return defaultPlacement === 'all' || origin === undefined || origin === cluster.name;
  }
  const names = placement.clusters;
  if (names !== undefined && names.length > 0 && !names.includes(cluster.name)) return false;
  const wanted = placement.selector?.matchLabels;
  if (wanted === undefined) return true;
  for (const key of Object.keys(wanted)) {
    if (!Object.hasOwn(cluster.labels, key) || cluster.labels[key] !== wanted[key]) return false;
  }
  return true;
}
