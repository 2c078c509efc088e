import { clone, getRecord, getString, type JsonObject } from './json-value.js';

/** A change as it is kept in history and fanned out to watches. */
export interface StoreEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly storageKey: string;
  /** The state after the change; for DELETED, the last stored state carrying the deletion's resourceVersion. */
  readonly object: JsonObject;
  /** The state before the change (undefined for ADDED). */
  readonly prev: JsonObject | undefined;
}

export type StoreListener = (event: StoreEvent) => void;

function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function keyOf(object: JsonObject): string {
  const meta = getRecord(object, 'metadata');
  return objectKey(getString(meta, 'namespace'), getString(meta, 'name') ?? '');
}

function withResourceVersion(object: JsonObject, rv: number): JsonObject {
  const copy = clone(object);
  const meta = getRecord(copy, 'metadata') ?? {};
  copy['metadata'] = { ...meta, resourceVersion: String(rv) };
  return copy;
}

/**
 * Objects by storage (`group/plural`) and key (`namespace/name`), one global resourceVersion counter
 * (etcd's revision), and the history of changes that watches replay. History keeps every change with
 * rv > `compactedRevision`; older resourceVersions are answered with 410 Gone.
 *
 * Stored objects are never handed out: callers get deep copies.
 */
export class ObjectStore {
  readonly #objects = new Map<string, Map<string, JsonObject>>();
  readonly #history: StoreEvent[] = [];
  #historyStart = 0;
  readonly #historyLimit: number;
  readonly #listeners = new Set<StoreListener>();
  #revision: number;
  #compacted: number;

  constructor(historyLimit: number, initialRevision = 1) {
    this.#historyLimit = historyLimit;
    this.#revision = initialRevision;
    this.#compacted = initialRevision;
  }

  get revision(): number {
    return this.#revision;
  }

  /** Watches and list continuations from a resourceVersion below this get 410 Gone. */
  get compactedRevision(): number {
    return this.#compacted;
  }

  subscribe(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get(storageKey: string, namespace: string | undefined, name: string): JsonObject | undefined {
    const found = this.#objects.get(storageKey)?.get(objectKey(namespace, name));
    return found === undefined ? undefined : clone(found);
  }

  /** In key order (namespace/name), as etcd returns a range. */
  list(storageKey: string, namespace?: string): JsonObject[] {
    const bucket = this.#objects.get(storageKey);
    if (!bucket) return [];
    const keys = [...bucket.keys()].sort();
    const prefix = namespace === undefined ? undefined : `${namespace}/`;
    return keys
      .filter((k) => prefix === undefined || k.startsWith(prefix))
      .map((k) => clone(bucket.get(k) as JsonObject));
  }

  /** Stores a new or changed object under the next resourceVersion; returns what was stored. */
  put(storageKey: string, object: JsonObject): JsonObject {
    const rv = this.#revision + 1;
    const stored = withResourceVersion(object, rv);
    const key = keyOf(stored);
    let bucket = this.#objects.get(storageKey);
    if (!bucket) {
      bucket = new Map();
      this.#objects.set(storageKey, bucket);
    }
    const prev = bucket.get(key);
    bucket.set(key, stored);
    this.#revision = rv;
    this.#record({ rv, type: prev === undefined ? 'ADDED' : 'MODIFIED', storageKey, object: stored, prev });
    return clone(stored);
  }

  /** Removes an object; the DELETED event carries its last stored state at the new resourceVersion. */
  remove(storageKey: string, namespace: string | undefined, name: string): JsonObject | undefined {
    const bucket = this.#objects.get(storageKey);
    const key = objectKey(namespace, name);
    const prev = bucket?.get(key);
    if (!bucket || prev === undefined) return undefined;
    bucket.delete(key);
    const rv = this.#revision + 1;
    this.#revision = rv;
    const object = withResourceVersion(prev, rv);
    this.#record({ rv, type: 'DELETED', storageKey, object, prev });
    return clone(object);
  }

  /** Forgets a whole storage (its CRD was deleted) without events; watches on it are ended elsewhere. */
  drop(storageKey: string): void {
    this.#objects.delete(storageKey);
  }

  /** Changes of one storage with rv > `after`, or 'expired' when `after` is older than history. */
  since(storageKey: string, after: number): StoreEvent[] | 'expired' {
    if (after < this.#compacted) return 'expired';
    const events: StoreEvent[] = [];
    for (let i = this.#historyStart; i < this.#history.length; i++) {
      const event = this.#history[i] as StoreEvent;
      if (event.rv > after && event.storageKey === storageKey) events.push(event);
    }
    return events;
  }

  /** Drops all history: any resourceVersion older than the current one is now expired. */
  compact(): void {
    this.#history.length = 0;
    this.#historyStart = 0;
    this.#compacted = this.#revision;
  }

  #record(event: StoreEvent): void {
    this.#history.push(event);
    if (this.#history.length - this.#historyStart > this.#historyLimit) {
      const dropped = this.#history[this.#historyStart] as StoreEvent;
      this.#compacted = dropped.rv;
      this.#historyStart++;
      if (this.#historyStart > 1024 && this.#historyStart * 2 > this.#history.length) {
        this.#history.splice(0, this.#historyStart);
        this.#historyStart = 0;
      }
    }
    for (const listener of this.#listeners) listener(event);
  }
}
