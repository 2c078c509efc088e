import type { KubeObject } from '../kube/kube-client.js';

/**
 * The annotation that permits references from other namespaces, on the referenced namespace (to
 * everything in it) or on the referenced object itself (a Secret, a Route...): a comma-separated
 * list of namespaces, or `*` for every namespace. Gateway API's ReferenceGrant, as one annotation.
 */
export const ALLOW_REFERENCES_FROM = 'hubpo.io/allow-references-from';

/**
 * Whether an object in `from` may reference something in `to`: always within a namespace, else
 * only when the target namespace or the target object grants it.
 */
export function referencePermitted(
  from: string,
  to: string,
  targetNamespace: KubeObject | undefined,
  target?: KubeObject,
): boolean {
  if (from === to) return true;
  return grants(targetNamespace, from) || grants(target, from);
}

function grants(object: KubeObject | undefined, from: string): boolean {
  const value = object?.metadata.annotations?.[ALLOW_REFERENCES_FROM];
  if (value === undefined) return false;
  return value
    .split(',')
    .map((s) => s.trim())
    .some((ns) => ns === '*' || ns === from);
}
