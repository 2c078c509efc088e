import type { KindName } from '@hubpo/api';
import type { Informer } from '../informer/informer.js';
import type { KubeClient } from '../kube/kube-client.js';
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
 */
export class StatusWriter {
  readonly #kube: KubeClient;
  readonly #informers: Readonly<Record<KindName, Informer>>;
  readonly #book: StatusBook;

  constructor(kube: KubeClient, informers: Readonly<Record<KindName, Informer>>, book: StatusBook) {
    this.#kube = kube;
    this.#informers = informers;
    this.#book = book;
  }

  async write(key: string): Promise<void> {
    const ref = parseObjectKey(key);
    if (ref === undefined) return;
    const object = this.#informers[ref.kind].cache.get(ref.namespace, ref.name);
    if (object === undefined || object.metadata.deletionTimestamp !== undefined) return;
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
      await this.#kube.patchStatus(HUBPO_RESOURCES[ref.kind], ref.namespace, ref.name, patch);
    } catch (err) {
      if (KubeApiError.is(err, 404)) return;
      throw err;
    }
  }
}
