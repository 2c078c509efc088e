import type { KindName } from '@hubpo/api';
import { HubpoError, stableStringify } from '@hubpo/core';
import type { FieldIssue } from '@hubpo/core';
import { isPlainObject } from '../admin/merge-patch.js';
import { prepareWrite, validationError } from '../admin/resource-codec.js';
import type { ResourceInput, ResourceKey, ResourceStore, StoredResource } from '../store/resource-store.js';
import type { CredentialInput, CredentialVault, SealedCredential } from './credential-vault.js';

/** An object of a cluster, as addressed by `/clusters/:name/objects/:plural/:namespace/:objname`. */
export interface ClusterObjectPath extends ResourceKey {
  readonly cluster: string;
}

export interface PutResult {
  /** The config revision that holds the object as sent. */
  readonly revision: number;
  readonly generation: number;
  /** False when the object was already stored exactly so (nothing written, no revision). */
  readonly changed: boolean;
}

export interface DeleteResult {
  readonly deleted: boolean;
  readonly revision: number;
}

/** Longest credential value accepted (provider keys and service-account JSON fit easily). */
const MAX_CREDENTIAL_BYTES = 64 * 1024;
const WRITE_ATTEMPTS = 4;

/**
 * Objects operators write. Every write goes through the store's write path (validation, the one
 * config revision, the same transaction) with the object's Kubernetes generation and
 * `origin_cluster`; credentials are stored in that transaction. A cluster may only replace or
 * delete objects that came from it: the name of an object created through the admin API or by
 * another cluster is taken (409).
 */
export class ClusterObjects {
  readonly #store: ResourceStore;
  readonly #vault: CredentialVault;

  constructor(store: ResourceStore, vault: CredentialVault) {
    this.#store = store;
    this.#vault = vault;
  }

  async put(path: ClusterObjectPath, body: unknown): Promise<PutResult> {
    const { object, credentials, generation } = splitBody(path, body);
    const write = prepareWrite(path.kind, object, { namespace: path.namespace, name: path.name });
    const input: ResourceInput = { ...write.input, generation };
    const key: ResourceKey = { kind: path.kind, namespace: path.namespace, name: path.name };
    const sealed = this.#vault.seal(key, credentials);
    const current = await this.#find(key);
    if (current !== undefined && (await this.#unchanged(path.cluster, current, input, sealed))) {
      return { revision: current.resourceVersion, generation, changed: false };
    }
    for (let attempt = 1; ; attempt++) {
      try {
        let previous: number | undefined;
        const { revision } = await this.#store.update(
          key,
          {},
          (stored) => {
            assertOwner(path.cluster, stored);
            previous = stored.resourceVersion;
            return input;
          },
          (trx, written) => this.#vault.write(trx, key, written.revision, previous, sealed),
        );
        return { revision, generation, changed: true };
      } catch (err) {
        if (!HubpoError.is(err, 'NOT_FOUND')) throw err;
      }
      try {
        const { revision } = await this.#store.create(
          path.kind,
          path.namespace,
          path.name,
          input,
          path.cluster,
          (trx, written) => this.#vault.write(trx, key, written.revision, undefined, sealed),
        );
        return { revision, generation, changed: true };
      } catch (err) {
        // Created concurrently (another request of the same operator): update it instead.
        if (!HubpoError.is(err, 'ALREADY_EXISTS') || attempt >= WRITE_ATTEMPTS) throw err;
      }
    }
  }

  /** Deletes the cluster's object; an absent object, or one that is not the cluster's, is `deleted: false`. */
  async delete(path: ClusterObjectPath): Promise<DeleteResult> {
    const key: ResourceKey = { kind: path.kind, namespace: path.namespace, name: path.name };
    for (let attempt = 1; ; attempt++) {
      const current = await this.#find(key);
      if (current === undefined || current.originCluster !== path.cluster) {
        return { deleted: false, revision: await this.#store.currentRevision() };
      }
      try {
        // If-Match: the object checked above is the one deleted, even if it was written meanwhile.
        const { revision } = await this.#store.delete(key, { ifMatch: current.resourceVersion });
        return { deleted: true, revision };
      } catch (err) {
        if (HubpoError.is(err, 'NOT_FOUND'))
          return { deleted: false, revision: await this.#store.currentRevision() };
        if (!HubpoError.is(err, 'PRECONDITION_FAILED') || attempt >= WRITE_ATTEMPTS) throw err;
      }
    }
  }

  async #find(key: ResourceKey): Promise<StoredResource | undefined> {
    try {
      return await this.#store.get(key);
    } catch (err) {
      if (HubpoError.is(err, 'NOT_FOUND')) return undefined;
      throw err;
    }
  }

  async #unchanged(
    cluster: string,
    current: StoredResource,
    input: ResourceInput,
    sealed: readonly SealedCredential[],
  ): Promise<boolean> {
    if (current.originCluster !== cluster || current.generation !== input.generation) return false;
    const same = (a: unknown, b: unknown): boolean => stableStringify(a) === stableStringify(b);
    if (!same(current.labels, input.labels) || !same(current.annotations, input.annotations)) return false;
    if (!same(current.spec, input.spec)) return false;
    const stored = await this.#vault.digests(current, current.resourceVersion);
    return stored.size === sealed.length && sealed.every((c) => stored.get(c.target) === c.digest);
  }
}

function assertOwner(cluster: string, stored: StoredResource): void {
  if (stored.originCluster === cluster) return;
  const owner =
    stored.originCluster === null
      ? 'was created through the admin API'
      : `belongs to cluster "${stored.originCluster}"`;
  throw new HubpoError(
    'CONFLICT',
    `${stored.kind} ${stored.namespace}/${stored.name} ${owner}; a cluster may only write its own objects`,
  );
}

/**
 * Splits what an operator sends into the resource (metadata reduced to what is stored), its
 * Kubernetes generation and the credentials in `secrets`. Throws VALIDATION naming every bad field.
 */
function splitBody(
  path: ClusterObjectPath,
  body: unknown,
): { object: Record<string, unknown>; credentials: CredentialInput[]; generation: number } {
  if (!isPlainObject(body)) throw validationError([{ path: '/', message: `must be a ${path.kind} object` }]);
  const { secrets, ...object } = body;
  const issues: FieldIssue[] = [];
  const metadata = isPlainObject(object['metadata']) ? object['metadata'] : {};
  const generation = metadata['generation'];
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 1) {
    issues.push({
      path: '/metadata/generation',
      message: 'the Kubernetes generation, a whole number from 1',
    });
  }
  const credentials = parseCredentials(path.kind, object['spec'], secrets, issues);
  if (issues.length > 0) throw validationError(issues);
  const stored: Record<string, unknown> = { name: metadata['name'], namespace: metadata['namespace'] };
  if (metadata['labels'] !== undefined) stored['labels'] = metadata['labels'];
  if (metadata['annotations'] !== undefined) stored['annotations'] = metadata['annotations'];
  return { object: { ...object, metadata: stored }, credentials, generation: generation as number };
}

function parseCredentials(
  kind: KindName,
  spec: unknown,
  secrets: unknown,
  issues: FieldIssue[],
): CredentialInput[] {
  if (secrets === undefined) return [];
  const list = isPlainObject(secrets) ? secrets['credentials'] : undefined;
  if (
    !isPlainObject(secrets) ||
    Object.keys(secrets).some((k) => k !== 'credentials') ||
    (list !== undefined && !Array.isArray(list))
  ) {
    issues.push({ path: '/secrets', message: 'must be { credentials: [{ target, value }] }' });
    return [];
  }
  if (list === undefined || list.length === 0) return [];
  if (kind !== 'AIModel') {
    issues.push({ path: '/secrets/credentials', message: 'only AIModel targets take credentials' });
    return [];
  }
  const targets = isPlainObject(spec) && Array.isArray(spec['targets']) ? spec['targets'] : [];
  const out: CredentialInput[] = [];
  (list as unknown[]).forEach((entry, i) => {
    const at = `/secrets/credentials/${i}`;
    const target = isPlainObject(entry) ? entry['target'] : undefined;
    const value = isPlainObject(entry) ? entry['value'] : undefined;
    const ref = typeof target === 'number' ? targets[target] : undefined;
    if (typeof target !== 'number' || !isPlainObject(ref) || ref['credentialsRef'] === undefined) {
      issues.push({ path: `${at}/target`, message: 'must be the index of a target with credentialsRef' });
    } else if (out.some((c) => c.target === target)) {
      issues.push({ path: `${at}/target`, message: 'given twice' });
    } else if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > MAX_CREDENTIAL_BYTES) {
      issues.push({ path: `${at}/value`, message: 'a non-empty string of at most 64 KiB' });
    } else {
      out.push({ target, value });
    }
  });
  return out;
}
