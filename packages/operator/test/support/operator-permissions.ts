/*
 * What the operator may do in Kubernetes: the least-privilege RBAC it needs, as data. Two tests
 * read this list: `test/integration/rbac.fake-only.test.ts` records every request the running
 * operator sends and requires it to match the list exactly (every request allowed, every
 * permission used), and `charts/hubpo/test/chart.test.ts` requires the chart's Roles and bindings
 * to grant exactly this list. A new API call in the operator fails the first test until it is
 * listed here, and then the chart test until the chart grants it.
 */
import { GROUP, KINDS, KIND_NAMES } from '@hubpo/api';

/**
 * Where a permission must hold:
 * - `watched`: every watched namespace (HUBPO_WATCH_NAMESPACES), or the whole cluster without it;
 * - `cluster`: a cluster-scoped resource (needs a ClusterRoleBinding either way);
 * - `own`: the operator's own namespace only (its leader-election Lease).
 */
export type PermissionScope = 'watched' | 'cluster' | 'own';

export interface Permission {
  readonly apiGroup: string;
  /** The plural, with `/subresource` when it is one (`routes/status`). */
  readonly resource: string;
  readonly verbs: readonly string[];
  readonly scope: PermissionScope;
}

const PLURALS = KIND_NAMES.map((k) => KINDS[k].plural);

export const OPERATOR_PERMISSIONS: readonly Permission[] = Object.freeze([
  // Informers on every kind; merge patches of metadata.finalizers (add and remove hubpo.io/cleanup).
  ...PLURALS.map((r) => ({
    apiGroup: GROUP,
    resource: r,
    verbs: ['list', 'watch', 'patch'],
    scope: 'watched' as const,
  })),
  // Status written as a merge patch of the status subresource.
  ...PLURALS.map((r) => ({
    apiGroup: GROUP,
    resource: `${r}/status`,
    verbs: ['patch'],
    scope: 'watched' as const,
  })),
  // Credentials referenced by AIModel targets and Consumer API keys, read from an informer cache.
  { apiGroup: '', resource: 'secrets', verbs: ['list', 'watch'], scope: 'watched' },
  // Warning events on the objects at fault (core/v1 Events).
  { apiGroup: '', resource: 'events', verbs: ['create'], scope: 'watched' },
  // Cross-namespace reference grants (annotation hubpo.io/allow-references-from on the Namespace).
  { apiGroup: '', resource: 'namespaces', verbs: ['list', 'watch'], scope: 'cluster' },
  // Leader election: read, create and renew (replace) its Lease.
  { apiGroup: 'coordination.k8s.io', resource: 'leases', verbs: ['get', 'create', 'update'], scope: 'own' },
]);

/** The RBAC attributes of one API request, as the API server's authorizer derives them. */
export interface RequestAttributes {
  readonly apiGroup: string;
  readonly resource: string;
  readonly verb: string;
  /** Undefined for a cluster-scoped resource or a request across all namespaces. */
  readonly namespace: string | undefined;
}

const VERBS: Readonly<Record<string, string>> = Object.freeze({
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
});

/**
 * Derives the RBAC attributes of a resource request (`/api/v1/...`, `/apis/<group>/<version>/...`)
 * the way Kubernetes does: GET of a collection is `list` (`watch` with `watch=true`), GET of an
 * object `get`, then POST/PUT/PATCH/DELETE. Undefined for non-resource paths (discovery, /version).
 */
export function requestAttributes(method: string, url: string): RequestAttributes | undefined {
  const parsed = new URL(url, 'http://kube');
  const parts = parsed.pathname.split('/').filter((p) => p !== '');
  let rest: string[];
  let apiGroup: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    apiGroup = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiGroup = parts[1] ?? '';
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  // `namespaces/<ns>/<resource>...` is namespaced; `namespaces[/<name>]` is the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (resource === undefined) return undefined;
  const upper = method.toUpperCase();
  const verb =
    upper === 'GET' || upper === 'HEAD'
      ? name !== undefined
        ? 'get'
        : parsed.searchParams.get('watch') === 'true' || parsed.searchParams.get('watch') === '1'
          ? 'watch'
          : 'list'
      : upper === 'DELETE' && name === undefined
        ? 'deletecollection'
        : (VERBS[upper] ?? upper.toLowerCase());
  return {
    apiGroup,
    resource: subresource === undefined ? resource : `${resource}/${subresource}`,
    verb,
    namespace,
  };
}
