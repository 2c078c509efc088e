import { randomUUID } from 'node:crypto';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { parseFieldSelector } from './field-selector.js';
import { applyJsonPatch, JsonPatchError } from './json-patch.js';
import {
  clone,
  deepEqual,
  getRecord,
  getString,
  getStringArray,
  isRecord,
  kubeTimestamp,
  metadataOf,
  type JsonObject,
} from './json-value.js';
import { KubeStatusError, successStatus, type KubeStatus } from './kube-status.js';
import { parseLabelSelector } from './label-selector.js';
import { namespaceConditions } from './namespace-conditions.js';
import { trackUpdate, type Manager } from './managed-fields.js';
import { applyMergePatch } from './merge-patch.js';
import { generatedName, nameProblem, type NameRule } from './object-names.js';
import { keyOf, type ObjectStore } from './object-store.js';
import {
  CRD_GROUP,
  CRD_PLURAL,
  establishedCrdStatus,
  renderAs,
  typesFromCrd,
  validateCrd,
  withoutTypeMeta,
  type ResourceRegistry,
  type ResourceType,
} from './resource-registry.js';
import { serverSideApply } from './server-side-apply.js';

export interface WriteOptions {
  /** The field manager (the `fieldManager` parameter, else the client's User-Agent product). */
  readonly manager: string;
  readonly dryRun?: boolean;
  readonly subresource?: 'status';
  /** Test set-up writes (`FakeKube.apply`): no preconditions, `status` is written as given. */
  readonly direct?: boolean;
}

export interface PatchOptions extends WriteOptions {
  readonly force?: boolean;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface ListOptions {
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  readonly limit?: number | undefined;
  readonly continueToken?: string | undefined;
}

export interface ListResult {
  readonly items: JsonObject[];
  readonly resourceVersion: string;
  readonly continueToken?: string;
  readonly remainingItemCount?: number;
}

export interface DeleteOptions {
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly dryRun?: boolean;
}

export type DeleteResult =
  | { readonly finished: true; readonly status: KubeStatus; readonly object: JsonObject }
  | { readonly finished: false; readonly object: JsonObject };

export interface KubeApiHooks {
  /** Storages whose CRD is gone: their objects were dropped and their watches must end. */
  readonly onStoragesRemoved: (storageKeys: readonly string[]) => void;
}

/** Metadata only the server writes; what a client sends there is ignored. */
const SERVER_METADATA = [
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'generation',
];
const NAMESPACES: ResourceType['storageKey'] = '/namespaces';
/** Namespaces the NamespaceLifecycle admission plugin refuses to delete. */
const IMMORTAL_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public'];

type Track = (prev: JsonObject | undefined, next: JsonObject) => void;

function nameRule(type: ResourceType): NameRule {
  if (type.group === '' && type.plural === 'namespaces') return 'dns-label';
  if (type.plural === 'events') return 'path-segment';
  return 'dns-subdomain';
}

function withoutStatus(object: JsonObject): JsonObject {
  const { status: _status, ...rest } = object;
  return rest;
}

function specOf(type: ResourceType, object: JsonObject): JsonObject {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = object;
  return type.statusSubresource ? withoutStatus(rest) : rest;
}

function withoutResourceVersion(object: JsonObject): JsonObject {
  const meta = { ...(getRecord(object, 'metadata') ?? {}) };
  delete meta['resourceVersion'];
  return { ...object, metadata: meta };
}

/** Secrets: `stringData` is write-only and merged into base64 `data`; `type` defaults to Opaque. */
function normalizeSecret(object: JsonObject): void {
  const stringData = getRecord(object, 'stringData');
  if (stringData) {
    const data = { ...(getRecord(object, 'data') ?? {}) };
    for (const [k, v] of Object.entries(stringData))
      data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    object['data'] = data;
    delete object['stringData'];
  }
  if (object['type'] === undefined) object['type'] = 'Opaque';
}

/**
 * The verbs of the Kubernetes API over the object store, independent of HTTP: the semantics a
 * controller relies on (resourceVersion preconditions, the status subresource, generation,
 * finalizers, server-side apply, selectors and pagination) live here.
 */
export class KubeApi {
  readonly #registry: ResourceRegistry;
  readonly #store: ObjectStore;
  readonly #hooks: KubeApiHooks;

  constructor(registry: ResourceRegistry, store: ObjectStore, hooks: KubeApiHooks) {
    this.#registry = registry;
    this.#store = store;
    this.#hooks = hooks;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): JsonObject {
    const found = this.#store.get(type.storageKey, type.namespaced ? namespace : undefined, name);
    if (!found) throw KubeStatusError.notFound(type, name);
    return renderAs(type, found);
  }

  /** A predicate for list and watch: label and field selectors plus an optional namespace. */
  matcher(
    type: ResourceType,
    namespace: string | undefined,
    options: ListOptions,
  ): (object: JsonObject) => boolean {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector, type.selectableFields);
    return (object) => {
      const meta = getRecord(object, 'metadata');
      if (namespace !== undefined && type.namespaced && getString(meta, 'namespace') !== namespace)
        return false;
      return labels.matches(getRecord(meta ?? {}, 'labels')) && fields.matches(object);
    };
  }

  list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): ListResult {
    const matches = this.matcher(type, namespace, options);
    let rv = this.#store.revision;
    let start = '';
    if (options.continueToken) {
      const position = decodeContinue(options.continueToken);
      if (position.rv < this.#store.compactedRevision) {
        throw KubeStatusError.expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      rv = position.rv;
      start = position.start;
    }
    const ns = type.namespaced ? namespace : undefined;
    const all = this.#store.list(type.storageKey, ns).filter((o) => keyOf(o) >= start && matches(o));
    const limit = options.limit !== undefined && options.limit > 0 ? options.limit : all.length;
    const page = all.slice(0, limit);
    const render = (o: JsonObject) => (type.itemsHaveKind ? renderAs(type, o) : withoutTypeMeta(o));
    const result = { items: page.map(render), resourceVersion: String(rv) };
    if (all.length <= limit) return result;
    const last = page[page.length - 1] as JsonObject;
    return {
      ...result,
      continueToken: encodeContinue({ rv, start: `${keyOf(last)}\u0000` }),
      remainingItemCount: all.length - limit,
    };
  }

  create(
    type: ResourceType,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions,
  ): JsonObject {
    const object = this.#prepareBody(type, namespace, body, false);
    const meta = metadataOf(object);
    if (!options.direct && getString(meta, 'resourceVersion')) {
      throw KubeStatusError.internal('resourceVersion should not be set on objects to be created');
    }
    const now = kubeTimestamp();
    return this.#createObject(type, object, options, (prev, next) =>
      trackUpdate(prev, next, this.#who(type, options), now),
    );
  }

  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions,
  ): JsonObject {
    const object = this.#prepareBody(type, namespace, body, false);
    const bodyName = getString(getRecord(object, 'metadata'), 'name');
    if (bodyName !== name) {
      throw KubeStatusError.badRequest(
        `the name of the object (${bodyName ?? ''}) does not match the name on the URL (${name})`,
      );
    }
    const old = this.#store.get(type.storageKey, type.namespaced ? namespace : undefined, name);
    if (!old) throw KubeStatusError.notFound(type, name);
    const now = kubeTimestamp();
    return this.#updateObject(type, old, object, options, (prev, next) =>
      trackUpdate(prev, next, this.#who(type, options), now),
    );
  }

  /** Returns the object and whether it was created (server-side apply of an absent object). */
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options: PatchOptions,
  ): { readonly object: JsonObject; readonly created: boolean } {
    if (patchType === 'apply') return this.#apply(type, namespace, name, patch, options);
    const old = this.#store.get(type.storageKey, type.namespaced ? namespace : undefined, name);
    if (!old) throw KubeStatusError.notFound(type, name);
    const patched = this.#patched(renderAs(type, old), patchType, patch);
    if (!isRecord(patched)) throw KubeStatusError.badRequest('the patch did not produce an object');
    const object = this.#prepareBody(type, namespace, patched, false);
    if (getString(getRecord(object, 'metadata'), 'name') !== name) {
      throw KubeStatusError.badRequest('metadata.name: the name of an object cannot be changed by a patch');
    }
    const now = kubeTimestamp();
    const track: Track = (prev, next) => trackUpdate(prev, next, this.#who(type, options), now);
    return { object: this.#updateObject(type, old, object, options, track), created: false };
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): DeleteResult {
    const ns = type.namespaced ? namespace : undefined;
    const old = this.#store.get(type.storageKey, ns, name);
    if (!old) throw KubeStatusError.notFound(type, name);
    const meta = getRecord(old, 'metadata') ?? {};
    const { uid, resourceVersion } = options.preconditions ?? {};
    if (uid !== undefined && uid !== meta['uid']) {
      throw KubeStatusError.conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(meta['uid'])}`,
      );
    }
    if (resourceVersion !== undefined && resourceVersion !== meta['resourceVersion']) {
      throw KubeStatusError.conflict(
        type,
        name,
        `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${String(meta['resourceVersion'])}`,
      );
    }
    if (type.storageKey === NAMESPACES) return this.#deleteNamespace(type, old, options);
    if (getStringArray(meta, 'finalizers').length > 0) {
      if (meta['deletionTimestamp'] !== undefined || options.dryRun)
        return { finished: false, object: renderAs(type, old) };
      const next = clone(old);
      this.#markDeleting(type, next);
      return { finished: false, object: renderAs(type, this.#store.put(type.storageKey, next)) };
    }
    const status = successStatus(type, name, getString(meta, 'uid'));
    if (options.dryRun) return { finished: true, status, object: renderAs(type, old) };
    return { finished: true, status, object: renderAs(type, this.#remove(type, ns, name)) };
  }

  /** Deletes every matching object; returns what was deleted or marked for deletion. */
  deleteCollection(
    type: ResourceType,
    namespace: string | undefined,
    options: ListOptions & DeleteOptions,
  ): JsonObject[] {
    const { items } = this.list(type, namespace, {
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    });
    return items.map((item) => {
      const meta = getRecord(item, 'metadata') ?? {};
      const deleteOptions = options.dryRun === undefined ? {} : { dryRun: options.dryRun };
      return this.delete(type, getString(meta, 'namespace'), getString(meta, 'name') ?? '', deleteOptions)
        .object;
    });
  }

  #who(type: ResourceType, options: WriteOptions): Manager {
    return { manager: options.manager, subresource: options.subresource, apiVersion: type.apiVersion };
  }

  /** Checks apiVersion/kind (filled in when absent, except for apply) and the namespace of a body. */
  #prepareBody(
    type: ResourceType,
    namespace: string | undefined,
    body: unknown,
    requireTypeMeta: boolean,
  ): JsonObject {
    if (!isRecord(body)) throw KubeStatusError.badRequest('the request body must be a JSON or YAML object');
    const object = clone(body);
    const apiVersion = object['apiVersion'];
    const kind = object['kind'];
    if (
      requireTypeMeta &&
      (typeof apiVersion !== 'string' || typeof kind !== 'string' || !apiVersion || !kind)
    ) {
      throw KubeStatusError.badRequest('invalid object type: apiVersion and kind are required for apply');
    }
    if (apiVersion !== undefined && apiVersion !== '' && apiVersion !== type.apiVersion) {
      throw KubeStatusError.badRequest(
        `the API version in the data (${String(apiVersion)}) does not match the expected API version (${type.apiVersion})`,
      );
    }
    if (kind !== undefined && kind !== '' && kind !== type.kind) {
      throw KubeStatusError.badRequest(
        `the kind in the data (${String(kind)}) does not match the expected kind (${type.kind})`,
      );
    }
    object['apiVersion'] = type.apiVersion;
    object['kind'] = type.kind;
    const meta = metadataOf(object);
    if (!type.namespaced) {
      delete meta['namespace'];
      return object;
    }
    const bodyNamespace = getString(meta, 'namespace');
    const ns = namespace ?? bodyNamespace ?? 'default';
    if (bodyNamespace && bodyNamespace !== ns) {
      throw KubeStatusError.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    meta['namespace'] = ns;
    return object;
  }

  #patched(current: JsonObject, patchType: Exclude<PatchType, 'apply'>, patch: unknown): unknown {
    switch (patchType) {
      case 'merge':
      case 'strategic':
        if (!isRecord(patch)) throw KubeStatusError.badRequest('a merge patch must be a JSON object');
        return applyMergePatch(current, patch);
      case 'json':
        try {
          return applyJsonPatch(current, patch);
        } catch (err) {
          if (!(err instanceof JsonPatchError)) throw err;
          if (err.malformed) throw KubeStatusError.badRequest(err.message);
          throw new KubeStatusError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: ${err.message}`,
          );
        }
    }
  }

  #apply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: PatchOptions,
  ) {
    const applied = this.#prepareBody(type, namespace, body, true);
    const meta = metadataOf(applied);
    if (getString(meta, 'name') !== name) {
      throw KubeStatusError.badRequest(
        `the name of the object (${getString(meta, 'name') ?? ''}) does not match the name on the URL (${name})`,
      );
    }
    const precondition = getString(meta, 'resourceVersion');
    for (const key of [...SERVER_METADATA, 'resourceVersion', 'managedFields', 'selfLink']) delete meta[key];
    const old = this.#store.get(type.storageKey, type.namespaced ? namespace : undefined, name);
    if (!old && options.subresource === 'status') throw KubeStatusError.notFound(type, name);
    if (old && precondition && precondition !== getString(getRecord(old, 'metadata'), 'resourceVersion')) {
      throw KubeStatusError.conflict(
        type,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    let effective = applied;
    if (type.statusSubresource && options.subresource === 'status') {
      const status = applied['status'];
      effective = {
        apiVersion: type.apiVersion,
        kind: type.kind,
        metadata: { name, ...(type.namespaced ? { namespace: meta['namespace'] } : {}) },
      };
      if (status !== undefined) effective['status'] = status;
    } else if (type.statusSubresource) {
      effective = withoutStatus(applied);
    }
    const merged = serverSideApply(old === undefined ? undefined : renderAs(type, old), effective, {
      ...this.#who(type, options),
      force: options.force === true,
      now: kubeTimestamp(),
      resource: type,
      name,
    });
    const managedFields = getRecord(merged, 'metadata')?.['managedFields'];
    const track: Track = (_prev, next) => {
      if (managedFields === undefined) delete metadataOf(next)['managedFields'];
      else metadataOf(next)['managedFields'] = clone(managedFields);
    };
    if (old === undefined) return { object: this.#createObject(type, merged, options, track), created: true };
    metadataOf(merged)['resourceVersion'] = getString(getRecord(old, 'metadata'), 'resourceVersion');
    return { object: this.#updateObject(type, old, merged, options, track), created: false };
  }

  /** Namespaced creates need the namespace, and one that is not terminating (403 as the real server). */
  #requireNamespace(namespace: string, type: ResourceType, name: string): void {
    const found = this.#store.get(NAMESPACES, undefined, namespace);
    if (!found) throw KubeStatusError.notFound({ group: '', plural: 'namespaces' }, namespace);
    if (getRecord(found, 'metadata')?.['deletionTimestamp'] !== undefined)
      throw KubeStatusError.namespaceTerminating(type, name, namespace);
  }

  /**
   * Deleting a namespace, as the API server and the namespace controller do it: the namespace is
   * marked (deletionTimestamp, phase `Terminating`) and answered with its new state, then every
   * object in it is deleted (finalizers apply: such objects are only marked and stay until their
   * finalizers are gone). Once it is empty, its `kubernetes` finalizer goes and, unless
   * metadata.finalizers remain, the namespace with it. `default` may not be deleted.
   */
  #deleteNamespace(type: ResourceType, old: JsonObject, options: DeleteOptions): DeleteResult {
    const name = getString(getRecord(old, 'metadata'), 'name') ?? '';
    if (IMMORTAL_NAMESPACES.includes(name)) throw KubeStatusError.immortalNamespace(type, name);
    if (getRecord(old, 'metadata')?.['deletionTimestamp'] !== undefined)
      return { finished: false, object: renderAs(type, old) };
    const next = clone(old);
    this.#markDeleting(type, next);
    next['status'] = { ...(getRecord(next, 'status') ?? {}), phase: 'Terminating' };
    if (options.dryRun) return { finished: false, object: renderAs(type, next) };
    const stored = this.#store.put(NAMESPACES, next);
    setImmediate(() => this.#finalizeNamespace(name));
    return { finished: false, object: renderAs(type, stored) };
  }

  /** One pass of the namespace controller over a terminating namespace (again after each removal). */
  #finalizeNamespace(name: string): void {
    const namespace = this.#store.get(NAMESPACES, undefined, name);
    if (!namespace || getRecord(namespace, 'metadata')?.['deletionTimestamp'] === undefined) return;
    for (const { type, object } of this.#contentOf(name)) {
      const meta = getRecord(object, 'metadata') ?? {};
      if (meta['deletionTimestamp'] !== undefined) continue;
      try {
        this.delete(type, name, getString(meta, 'name') ?? '');
      } catch (err) {
        if (!(err instanceof KubeStatusError) || err.code !== 404) throw err;
      }
    }
    const remaining = this.#contentOf(name);
    const next = clone(namespace);
    const status = { ...(getRecord(next, 'status') ?? {}) };
    if (remaining.length > 0) {
      status['conditions'] = namespaceConditions(remaining, kubeTimestamp(), status['conditions']);
      next['status'] = status;
      if (!deepEqual(withoutResourceVersion(namespace), withoutResourceVersion(next)))
        this.#store.put(NAMESPACES, next);
      return;
    }
    next['spec'] = { ...(getRecord(next, 'spec') ?? {}), finalizers: [] };
    if (getStringArray(metadataOf(next), 'finalizers').length === 0) {
      this.#remove(this.#namespaceType(), undefined, name);
      return;
    }
    this.#store.put(NAMESPACES, next);
  }

  /** Every object stored in a namespace, of every namespaced resource. */
  #contentOf(namespace: string): Array<{ type: ResourceType; object: JsonObject }> {
    return this.#registry
      .storageTypes()
      .filter((type) => type.namespaced)
      .flatMap((type) => this.#store.list(type.storageKey, namespace).map((object) => ({ type, object })));
  }

  #namespaceType(): ResourceType {
    return this.#registry.lookup('v1', 'namespaces') as ResourceType;
  }

  #createObject(type: ResourceType, object: JsonObject, options: WriteOptions, track: Track): JsonObject {
    const meta = metadataOf(object);
    let name = getString(meta, 'name') ?? '';
    const generateName = getString(meta, 'generateName');
    if (name === '' && generateName) {
      do name = generatedName(generateName);
      while (this.#store.get(type.storageKey, getString(meta, 'namespace'), name));
      meta['name'] = name;
    }
    if (name === '') {
      throw KubeStatusError.invalid(type, type.kind, '', [
        {
          type: 'FieldValueRequired',
          field: 'metadata.name',
          message: 'Required value: name or generateName is required',
        },
      ]);
    }
    const problem = nameProblem(name, nameRule(type));
    if (problem)
      throw KubeStatusError.invalid(type, type.kind, name, [
        { type: 'FieldValueInvalid', field: 'metadata.name', message: problem },
      ]);
    const namespace = getString(meta, 'namespace');
    if (type.namespaced) this.#requireNamespace(namespace ?? '', type, name);
    if (this.#store.get(type.storageKey, namespace, name)) throw KubeStatusError.alreadyExists(type, name);
    for (const key of [...SERVER_METADATA, 'resourceVersion', 'managedFields', 'selfLink']) delete meta[key];
    meta['uid'] = randomUUID();
    meta['creationTimestamp'] = kubeTimestamp();
    if (type.hasGeneration) meta['generation'] = 1;
    if (type.statusSubresource && !options.direct) delete object['status'];
    this.#normalize(type, object, undefined);
    track(undefined, object);
    if (options.dryRun) return renderAs(type, object);
    const stored = this.#store.put(type.storageKey, object);
    if (type.group === CRD_GROUP && type.plural === CRD_PLURAL) this.#syncCrd(stored);
    return renderAs(type, stored);
  }

  #updateObject(
    type: ResourceType,
    old: JsonObject,
    incoming: JsonObject,
    options: WriteOptions,
    track: Track,
  ): JsonObject {
    const oldMeta = getRecord(old, 'metadata') ?? {};
    const name = getString(oldMeta, 'name') ?? '';
    if (!options.direct) this.#checkPreconditions(type, oldMeta, getRecord(incoming, 'metadata') ?? {});
    let next = incoming;
    if (type.statusSubresource && !options.direct && options.subresource === 'status') {
      next = { ...clone(old), apiVersion: type.apiVersion, kind: type.kind };
      if (incoming['status'] === undefined) delete next['status'];
      else next['status'] = incoming['status'];
    } else if (type.statusSubresource && !options.direct) {
      next = withoutStatus(incoming);
      if (old['status'] !== undefined) next['status'] = clone(old['status']);
    }
    const meta = metadataOf(next);
    for (const key of [...SERVER_METADATA, 'name', 'namespace', 'managedFields', 'resourceVersion']) {
      if (oldMeta[key] === undefined) delete meta[key];
      else meta[key] = clone(oldMeta[key]);
    }
    delete meta['selfLink'];
    if (oldMeta['deletionTimestamp'] !== undefined) {
      const before = getStringArray(oldMeta, 'finalizers');
      const added = getStringArray(meta, 'finalizers').filter((f) => !before.includes(f));
      if (added.length > 0) {
        throw KubeStatusError.invalid(type, type.kind, name, [
          {
            type: 'FieldValueForbidden',
            field: 'metadata.finalizers',
            message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          },
        ]);
      }
    }
    this.#normalize(type, next, old);
    if (type.hasGeneration && !deepEqual(specOf(type, old), specOf(type, next))) {
      meta['generation'] = Number(oldMeta['generation'] ?? 0) + 1;
    }
    track(old, next);
    if (deepEqual(withoutResourceVersion(renderAs(type, old)), withoutResourceVersion(next)))
      return renderAs(type, old);
    if (options.dryRun) return renderAs(type, next);
    if (
      meta['deletionTimestamp'] !== undefined &&
      getStringArray(meta, 'finalizers').length === 0 &&
      getStringArray(getRecord(next, 'spec'), 'finalizers').length === 0
    ) {
      return renderAs(type, this.#remove(type, getString(meta, 'namespace'), name));
    }
    const stored = this.#store.put(type.storageKey, next);
    if (type.group === CRD_GROUP && type.plural === CRD_PLURAL) this.#syncCrd(stored);
    return renderAs(type, stored);
  }

  #checkPreconditions(type: ResourceType, oldMeta: JsonObject, meta: JsonObject): void {
    const name = getString(oldMeta, 'name') ?? '';
    const rv = getString(meta, 'resourceVersion');
    if (rv && rv !== oldMeta['resourceVersion']) {
      throw KubeStatusError.conflict(
        type,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    const uid = getString(meta, 'uid');
    if (uid && uid !== oldMeta['uid']) {
      throw KubeStatusError.conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(oldMeta['uid'])}`,
      );
    }
  }

  /** Per-type server behaviour on create (prev undefined) and update. */
  #normalize(type: ResourceType, object: JsonObject, prev: JsonObject | undefined): void {
    if (type.group !== '' && type.group !== CRD_GROUP) return;
    if (type.plural === 'secrets') normalizeSecret(object);
    if (type.plural === 'namespaces' && prev === undefined) {
      object['spec'] = { finalizers: ['kubernetes'], ...(getRecord(object, 'spec') ?? {}) };
      object['status'] = { phase: 'Active' };
    } else if (type.plural === 'namespaces' && prev !== undefined) {
      // Only the namespace controller (the `finalize` subresource) changes spec.finalizers.
      object['spec'] = clone(getRecord(prev, 'spec') ?? {});
    }
    if (type.plural === CRD_PLURAL) {
      validateCrd(object);
      if (prev === undefined) object['status'] = establishedCrdStatus(object, kubeTimestamp());
    }
  }

  /** Marks an object with finalizers as being deleted (the real server also bumps its generation). */
  #markDeleting(type: ResourceType, object: JsonObject): void {
    const meta = metadataOf(object);
    meta['deletionTimestamp'] = kubeTimestamp();
    meta['deletionGracePeriodSeconds'] = 0;
    if (type.hasGeneration) meta['generation'] = Number(meta['generation'] ?? 0) + 1;
  }

  #remove(type: ResourceType, namespace: string | undefined, name: string): JsonObject {
    const removed = this.#store.remove(type.storageKey, type.namespaced ? namespace : undefined, name);
    if (!removed) throw KubeStatusError.notFound(type, name);
    if (type.group === CRD_GROUP && type.plural === CRD_PLURAL) {
      const keys = this.#registry.removeCrd(name);
      for (const key of keys) this.#store.drop(key);
      this.#hooks.onStoragesRemoved(keys);
    }
    const uid = getString(getRecord(removed, 'metadata'), 'uid');
    if (uid) setImmediate(() => this.#collectGarbage(uid));
    const ns = type.namespaced ? namespace : undefined;
    const home = ns === undefined ? undefined : this.#store.get(NAMESPACES, undefined, ns);
    if (
      ns !== undefined &&
      home !== undefined &&
      getRecord(home, 'metadata')?.['deletionTimestamp'] !== undefined
    )
      setImmediate(() => this.#finalizeNamespace(ns));
    return removed;
  }

  #syncCrd(crd: JsonObject): void {
    const name = getString(getRecord(crd, 'metadata'), 'name') ?? '';
    const gone = this.#registry.setCrd(name, typesFromCrd(crd));
    for (const key of gone) this.#store.drop(key);
    if (gone.length > 0) this.#hooks.onStoragesRemoved(gone);
  }

  /**
   * Background cascading deletion, as the garbage collector does: dependents whose every owner
   * (ownerReferences uid) is gone are deleted (finalizers still apply).
   */
  #collectGarbage(ownerUid: string): void {
    const uids = new Set<string>();
    const candidates: Array<{ type: ResourceType; object: JsonObject }> = [];
    for (const type of this.#registry.storageTypes()) {
      for (const object of this.#store.list(type.storageKey)) {
        const meta = getRecord(object, 'metadata') ?? {};
        const uid = getString(meta, 'uid');
        if (uid) uids.add(uid);
        const owners = Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'].filter(isRecord) : [];
        if (owners.some((o) => o['uid'] === ownerUid)) candidates.push({ type, object });
      }
    }
    for (const { type, object } of candidates) {
      const meta = getRecord(object, 'metadata') ?? {};
      const owners = Array.isArray(meta['ownerReferences']) ? meta['ownerReferences'].filter(isRecord) : [];
      if (owners.some((o) => typeof o['uid'] === 'string' && uids.has(o['uid']))) continue;
      try {
        this.delete(type, getString(meta, 'namespace'), getString(meta, 'name') ?? '');
      } catch (err) {
        if (!(err instanceof KubeStatusError) || err.code !== 404) throw err;
      }
    }
  }
}
