import { createHash } from 'node:crypto';
import { API_VERSION, validateResource } from '@hubpo/api';
import type { KindName } from '@hubpo/api';
import { HubpoError } from '@hubpo/core';
import type { FieldIssue } from '@hubpo/core';
import type { ResourceInput, StoredResource } from '../store/resource-store.js';
import { isPlainObject } from './merge-patch.js';

/** A resource as the admin API shows it (Kubernetes object layout). */
export interface ApiObject {
  readonly apiVersion: string;
  readonly kind: KindName;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly uid: string;
    readonly generation: number;
    readonly resourceVersion: string;
    readonly creationTimestamp: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: Readonly<Record<string, unknown>>;
  readonly status: Readonly<Record<string, unknown>>;
}

export interface WriteRequest {
  readonly input: ResourceInput;
  readonly name: string;
  /** `metadata.resourceVersion` from the body, when sent (optimistic concurrency on PUT). */
  readonly resourceVersion?: number;
}

export function toApiObject(r: StoredResource): ApiObject {
  return {
    apiVersion: API_VERSION,
    kind: r.kind,
    metadata: {
      name: r.name,
      namespace: r.namespace,
      uid: r.uid,
      generation: r.generation,
      resourceVersion: String(r.resourceVersion),
      creationTimestamp: r.createdAt.toISOString(),
      ...(Object.keys(r.labels).length === 0 ? {} : { labels: r.labels }),
      ...(Object.keys(r.annotations).length === 0 ? {} : { annotations: r.annotations }),
    },
    spec: withoutSecrets(r.spec),
    status: r.status,
  };
}

/** The object a merge patch applies to: what a client may write (no server fields, no status). */
export function patchBase(r: StoredResource): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: r.kind,
    metadata: {
      name: r.name,
      namespace: r.namespace,
      resourceVersion: String(r.resourceVersion),
      labels: r.labels,
      annotations: r.annotations,
    },
    spec: r.spec,
  };
}

/**
 * Checks a body written to `/namespaces/<namespace>/<plural>[/<name>]` and turns it into a store
 * input: the kind, namespace and name must match the URL, the resource must validate, server
 * fields and status are ignored, and API key values are replaced by their SHA-256. Throws a
 * VALIDATION HubpoError naming every bad field; nothing is written then.
 */
export function prepareWrite(
  kind: KindName,
  body: unknown,
  url: { namespace: string; name?: string },
): WriteRequest {
  if (!isPlainObject(body)) {
    throw validationError([{ path: '/', message: `must be a ${kind} object` }]);
  }
  const issues: FieldIssue[] = [];
  if (body['kind'] !== undefined && body['kind'] !== kind) {
    issues.push({ path: '/kind', message: `must be "${kind}": the kind this URL serves` });
  }
  const metadata = isPlainObject(body['metadata']) ? body['metadata'] : undefined;
  const namespace = metadata?.['namespace'];
  if (namespace !== undefined && namespace !== url.namespace) {
    issues.push({
      path: '/metadata/namespace',
      message: `must be "${url.namespace}", the namespace in the URL`,
    });
  }
  if (url.name !== undefined && metadata !== undefined && metadata['name'] !== url.name) {
    issues.push({ path: '/metadata/name', message: `must be "${url.name}", the name in the URL` });
  }
  const resourceVersion = parseResourceVersion(metadata?.['resourceVersion'], issues);
  if (issues.length > 0) throw validationError(issues);

  const { status: _status, ...rest } = body;
  const candidate =
    metadata === undefined ? rest : { ...rest, metadata: { ...metadata, namespace: url.namespace } };
  const result = validateResource(kind, candidate);
  if (!result.ok) throw validationError(result.issues);
  const meta = result.value.metadata;
  const spec = hashApiKeys(kind, result.value.spec as Record<string, unknown>);
  return {
    name: meta.name,
    input: { labels: meta.labels ?? {}, annotations: meta.annotations ?? {}, spec },
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
  };
}

export function validationError(issues: readonly FieldIssue[]): HubpoError {
  const fields = [...new Set(issues.map((i) => i.path))].slice(0, 5).join(', ');
  return new HubpoError('VALIDATION', `the resource is invalid: ${fields}`, { issues });
}

function parseResourceVersion(value: unknown, issues: FieldIssue[]): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  issues.push({
    path: '/metadata/resourceVersion',
    message: 'must be the resourceVersion string the server returned',
  });
  return undefined;
}

/** Hex SHA-256 of an API key: what is stored and distributed instead of the key. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

function hashApiKeys(kind: KindName, spec: Record<string, unknown>): Record<string, unknown> {
  if (kind !== 'Consumer' || !Array.isArray(spec['apiKeys'])) return spec;
  const apiKeys = (spec['apiKeys'] as unknown[]).map((key) => {
    if (!isPlainObject(key) || typeof key['value'] !== 'string') return key;
    const { value, ...rest } = key;
    return { ...rest, sha256: sha256Hex(value) };
  });
  return { ...spec, apiKeys };
}

/** Defence in depth: a key value never leaves the server, even if one was stored by mistake. */
function withoutSecrets(spec: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (!Array.isArray(spec['apiKeys'])) return spec;
  const apiKeys = (spec['apiKeys'] as unknown[]).map((key) => {
    if (!isPlainObject(key) || !('value' in key)) return key;
    const { value: _value, ...rest } = key;
    return rest;
  });
  return { ...spec, apiKeys };
}
