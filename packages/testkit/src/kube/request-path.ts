/** What a request path addresses on the API server. */
export type ApiPath =
  | { readonly kind: 'health' }
  | { readonly kind: 'version' }
  | { readonly kind: 'core-versions' }
  | { readonly kind: 'groups' }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'resources'; readonly apiVersion: string }
  | ResourcePath;

export interface ResourcePath {
  readonly kind: 'resource';
  readonly apiVersion: string;
  readonly namespace: string | undefined;
  readonly plural: string;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  /** The legacy `/watch/` path prefix (`/api/v1/watch/namespaces/ns/configmaps`). */
  readonly watchPrefix: boolean;
}

/**
 * Parses `/api/v1/...` and `/apis/<group>/<version>/...`. `isNamespaced(apiVersion, plural)` tells
 * `/api/v1/namespaces/<ns>/<plural>` (a namespaced resource) from `/api/v1/namespaces/<name>/status`.
 * Returns undefined for a path the server does not serve.
 */
export function parseApiPath(
  pathname: string,
  isNamespaced: (apiVersion: string, plural: string) => boolean,
): ApiPath | undefined {
  const segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  const [root, ...rest] = segments;
  if (root === 'healthz' || root === 'readyz' || root === 'livez') return { kind: 'health' };
  if (root === 'version' && rest.length === 0) return { kind: 'version' };
  let apiVersion: string;
  let tail: string[];
  if (root === 'api') {
    if (rest.length === 0) return { kind: 'core-versions' };
    apiVersion = rest[0] as string;
    tail = rest.slice(1);
  } else if (root === 'apis') {
    if (rest.length === 0) return { kind: 'groups' };
    if (rest.length === 1) return { kind: 'group', group: rest[0] as string };
    apiVersion = `${rest[0]}/${rest[1]}`;
    tail = rest.slice(2);
  } else {
    return undefined;
  }
  if (tail.length === 0) return { kind: 'resources', apiVersion };
  const watchPrefix = tail[0] === 'watch';
  if (watchPrefix) tail = tail.slice(1);
  if (tail[0] === 'namespaces' && tail.length >= 3 && isNamespaced(apiVersion, tail[2] as string)) {
    if (tail.length > 5) return undefined;
    return {
      kind: 'resource',
      apiVersion,
      namespace: tail[1],
      plural: tail[2] as string,
      name: tail[3],
      subresource: tail[4],
      watchPrefix,
    };
  }
  if (tail.length === 0 || tail.length > 3) return undefined;
  return {
    kind: 'resource',
    apiVersion,
    namespace: undefined,
    plural: tail[0] as string,
    name: tail[1],
    subresource: tail[2],
    watchPrefix,
  };
}
