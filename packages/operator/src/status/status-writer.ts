import type { KindName } from '@hubpo/api';
import { stableStringify } from '@hubpo/core';
import type { Informer } from '../informer/informer.js';
import type { KubeClient, KubeObject } from '../kube/kube-client.js';
import { KubeApiError } from '../kube/kube-client.js';
import { HUBPO_RESOURCES } from '../kube/kube-resources.js';
import { parseObjectKey } from '../reconcile/object-key.js';
import { desiredStatus, statusPatch } from './desired-status.js';
import type { StatusBook } from './status-book.js';

/**
 * Writes one object's status subresource (a status work queue calls it by key): computes the
 * desired status from the StatusBook and the cached object, and merge-patches only what differs.
 * Custom resources take JSON merge patch (not strategic merge patch); `conditions` is replaced as
 * a whole, which is what the desired status is.
 *
 * The informer cache can lag behind the writer's own patches (the watch event of a patch arrives
 * after the next write was computed). The writer therefore remembers the status the API server
 * returned for its last patch of each object and computes from that until the cache shows it;
 * without this a second write would start from the older conditions and stamp a new
 * `lastTransitionTime` on a condition that did not flip.
 */
export class StatusWriter {
  readonly #kube: KubeClient;
  readonly #informers: Readonly<Record<KindName, Informer>>;
  readonly #book: StatusBook;
  /** Per key: the object uid and the status the API server returned for our last patch. */
  readonly #written = new Map<
    string,
    {
      readonly uid: string | undefined;
      readonly status: string;
      readonly value: Readonly<Record<string, unknown>>;
    }
  >();

  constructor(kube: KubeClient, informers: Readonly<Record<KindName, Informer>>, book: StatusBook) {
    this.#kube = kube;
    this.#informers = informers;
    this.#book = book;
  }

  async write(key: string): Promise<void> {
    const ref = parseObjectKey(key);
    if (ref === undefined) return;
    const cached = this.#informers[ref.kind].cache.get(ref.namespace, ref.name);
    if (cached === undefined || cached.metadata.deletionTimestamp !== undefined) {
      this.#written.delete(key);
      return;
    }
    const object = this.#base(key, cached);
    const desired = desiredStatus(
      object,
      this.#book.local(key),
      this.#book.remote(key),
      new Date().toISOString(),
    );
    if (desired === undefined) return;
    const patch = statusPatch(object.status, desired);
    if (patch === undefined) return;
    try {
      const updated = await this.#kube.patchStatus(HUBPO_RESOURCES[ref.kind], ref.namespace, ref.name, patch);
      const status = updated.status ?? {};
      this.#written.set(key, { uid: updated.metadata.uid, status: stableStringify(status), value: status });
    } catch (err) {
      this.#written.delete(key);
      if (KubeApiError.is(err, 404)) return;
      throw err;
    }
  }

  /** The cached object, with the status of our last patch while the cache has not caught up. */
  #base(key: string, cached: KubeObject): KubeObject {
    const last = this.#written.get(key);
    if (last === undefined) return cached;
    if (last.uid !== cached.metadata.uid || stableStringify(cached.status ?? {}) === last.status) {
      this.#written.delete(key);
      return cached;
    }
    return { ...cached, status: last.value };
  }
}
