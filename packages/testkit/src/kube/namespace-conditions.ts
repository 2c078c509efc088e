import { getRecord, getString, getStringArray, isRecord, type JsonObject } from './json-value.js';
import { qualifiedResource, type ResourceRef } from './kube-status.js';

/** An object still in a terminating namespace, and its resource. */
export interface NamespaceContent {
  readonly type: ResourceRef;
  readonly object: JsonObject;
}

/**
 * The conditions the namespace controller reports on a terminating namespace that still has
 * content: `NamespaceContentRemaining` (which resources, how many) and
 * `NamespaceFinalizersRemaining` (which finalizers hold them). A condition keeps its
 * lastTransitionTime from `previous` while its status is unchanged.
 */
export function namespaceConditions(
  remaining: readonly NamespaceContent[],
  now: string,
  previous: unknown,
): JsonObject[] {
  const byResource = new Map<string, number>();
  const byFinalizer = new Map<string, number>();
  for (const { type, object } of remaining) {
    const resource = qualifiedResource(type);
    byResource.set(resource, (byResource.get(resource) ?? 0) + 1);
    for (const finalizer of getStringArray(getRecord(object, 'metadata'), 'finalizers'))
      byFinalizer.set(finalizer, (byFinalizer.get(finalizer) ?? 0) + 1);
  }
  const counts = (m: Map<string, number>, word: string) =>
    [...m.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${word} ${n} resource instances`)
      .join(', ');
  const before = Array.isArray(previous) ? previous.filter(isRecord) : [];
  const condition = (type: string, status: boolean, reason: string, message: string): JsonObject => {
    const old = before.find((c) => c['type'] === type);
    const statusText = status ? 'True' : 'False';
    const since =
      old !== undefined && old['status'] === statusText ? getString(old, 'lastTransitionTime') : now;
    return { type, status: statusText, lastTransitionTime: since ?? now, reason, message };
  };
  return [
    condition(
      'NamespaceContentRemaining',
      byResource.size > 0,
      byResource.size > 0 ? 'SomeResourcesRemain' : 'ContentRemoved',
      byResource.size > 0
        ? `Some resources are remaining: ${counts(byResource, 'has')}`
        : 'All content successfully removed',
    ),
    condition(
      'NamespaceFinalizersRemaining',
      byFinalizer.size > 0,
      byFinalizer.size > 0 ? 'SomeFinalizersRemain' : 'ContentHasNoFinalizers',
      byFinalizer.size > 0
        ? `Some content in the namespace has finalizers remaining: ${counts(byFinalizer, 'in')}`
        : 'All content-preserving finalizers finished',
    ),
  ];
}
