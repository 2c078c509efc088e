import type { AnyResource } from '@hubpo/api';
import { HubpoError } from '@hubpo/core';
import type { IrMeta } from './ir.js';

/** The namespace of an object without one, as in Kubernetes and the ObjectMeta schema. */
export const DEFAULT_NAMESPACE = 'default';

/**
 * Identity and age of a resource. The control plane sets `generation` and `creationTimestamp`
 * before translation; a resource without them is a caller bug, so translation fails (and the
 * previous snapshot stays) instead of guessing an age that decides conflicts.
 */
export function metaOf(resource: AnyResource): IrMeta {
  const { name, generation, creationTimestamp } = resource.metadata;
  const namespace = resource.metadata.namespace ?? DEFAULT_NAMESPACE;
  const id = `${namespace}/${name}`;
  if (generation === undefined) {
    throw new HubpoError('TRANSLATION', `${resource.kind} ${id} has no metadata.generation`);
  }
  const createdMs = creationTimestamp === undefined ? Number.NaN : Date.parse(creationTimestamp);
  if (Number.isNaN(createdMs)) {
    throw new HubpoError('TRANSLATION', `${resource.kind} ${id} has no valid metadata.creationTimestamp`);
  }
  return {
    kind: resource.kind,
    namespace,
    name,
    id,
    generation,
    createdAt: new Date(createdMs).toISOString(),
    createdMs,
  };
}

/** Older first; the alphabetically first `<namespace>/<name>` breaks a tie (Gateway API). */
export function byAge(a: { readonly meta: IrMeta }, b: { readonly meta: IrMeta }): number {
  return a.meta.createdMs - b.meta.createdMs || (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0);
}
