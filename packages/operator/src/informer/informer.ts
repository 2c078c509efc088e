import { errorMessage } from '@hubpo/core';
import { KubeApiError } from '../kube/kube-client.js';
import type { KubeClient, KubeObject, ResourceType, WatchStream } from '../kube/kube-client.js';
import type { Logger } from '../logger.js';
import { Backoff, sleep } from '../queue/backoff.js';
import { ObjectCache, keyOf } from './object-cache.js';

export interface InformerEvent {
  readonly type: 'added' | 'updated' | 'deleted';
  readonly object: KubeObject;
  /** For `updated`: what the cache held before. */
  readonly old?: KubeObject;
}

export interface InformerOptions {
  readonly client: KubeClient;
  readonly resource: ResourceType;
  /** Namespaces to list and watch, one loop each; undefined: all namespaces (or cluster-scoped). */
  readonly namespaces: readonly string[] | undefined;
  /** A watch with no event and no bookmark for this long is restarted. */
  readonly watchdogMs: number;
  /** Server-side watch timeout, jittered up to twice this (client-go: 5-10 minutes). */
  readonly watchTimeoutSeconds: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly logger: Logger;
  /** Reduces what is cached (drops managed fields, ...). */
  readonly transform?: (object: KubeObject) => KubeObject;
  /**
   * When listing is forbidden (403), count as synced with nothing cached and retry slowly, instead
   * of holding the operator back (used for Namespaces: grants there are optional).
   */
  readonly optional?: boolean;
}

/** Counters for tests and logs. */
export interface InformerStats {
  lists: number;
  watches: number;
  /** Watches restarted by the watchdog. */
  stalled: number;
  /** Relists after 410 Gone. */
  expired: number;
  failures: number;
}

type WatchOutcome = 'ended' | 'expired' | 'stalled';

const FORBIDDEN_RETRY_MS = 5 * 60_000;

/**
 * A supervised list-then-watch of one resource type with a local cache (client-go's reflector
 * and informer): list, then watch from the list's resourceVersion with bookmarks; a watch that
 * ends is resumed from the last resourceVersion seen (so nothing is lost), a 410 Gone relists
 * (and the relist is diffed against the cache, so deletions missed meanwhile are delivered), an
 * error backs off, and a watchdog restarts a watch that stayed silent (bookmarks count) for
 * `watchdogMs`. Handlers run synchronously after the cache is updated.
 */
export class Informer {
  readonly stats: InformerStats = { lists: 0, watches: 0, stalled: 0, expired: 0, failures: 0 };
  readonly #o: InformerOptions;
  readonly #cache = new ObjectCache();
  readonly #handlers = new Set<(event: InformerEvent) => void>();
  readonly #synced = new Set<string>();
  readonly #syncWaiters = new Set<() => void>();
  readonly #streams = new Set<WatchStream>();
  readonly #stop = new AbortController();
  #loops: Promise<void>[] = [];

  constructor(options: InformerOptions) {
    this.#o = options;
  }

  get resource(): ResourceType {
    return this.#o.resource;
  }

  get cache(): ObjectCache {
    return this.#cache;
  }

  onEvent(handler: (event: InformerEvent) => void): void {
    this.#handlers.add(handler);
  }

  start(): void {
    const scopes = this.#o.namespaces ?? [undefined];
    this.#loops = scopes.map((ns) => this.#run(ns));
  }

  get synced(): boolean {
    return this.#synced.size === (this.#o.namespaces ?? [undefined]).length;
  }

  /** Resolves once every namespace was listed, or when stopped. */
  waitForSync(): Promise<void> {
    if (this.synced || this.#stop.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.add(resolve));
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    for (const stream of this.#streams) stream.abort();
    for (const resolve of this.#syncWaiters) resolve();
    await Promise.all(this.#loops);
  }

  async #run(namespace: string | undefined): Promise<void> {
    const backoff = new Backoff(this.#o.backoffInitialMs, this.#o.backoffMaxMs);
    const log = this.#o.logger.child({
      resource: this.#o.resource.plural,
      ...(namespace === undefined ? {} : { namespace }),
    });
    let resourceVersion: string | undefined;
    while (!this.#stop.signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          const list = await this.#o.client.list(this.#o.resource, namespace);
          this.stats.lists += 1;
          this.#replace(namespace, list.items);
          resourceVersion = list.resourceVersion;
          this.#markSynced(namespace);
        }
        const started = Date.now();
        const watched = await this.#watch(namespace, resourceVersion, (rv) => (resourceVersion = rv));
        if (watched.outcome === 'expired') {
          this.stats.expired += 1;
          log.info({ resourceVersion }, 'watch expired (410 Gone): relisting');
          resourceVersion = undefined;
        } else if (watched.outcome === 'stalled') {
          this.stats.stalled += 1;
          log.warn({ silentMs: this.#o.watchdogMs }, 'watch silent for too long: restarting it');
        }
        // A watch that ends at once with nothing in it must not turn into a busy loop.
        if (watched.events > 0 || Date.now() - started > 1000) backoff.reset();
        else await sleep(backoff.next(), this.#stop.signal);
      } catch (err) {
        if (this.#stop.signal.aborted) break;
        this.stats.failures += 1;
        if (KubeApiError.is(err, 410)) resourceVersion = undefined;
        if (KubeApiError.is(err, 403) && this.#o.optional === true) {
          log.warn({ err: errorMessage(err) }, 'not allowed to list; continuing without it');
          this.#markSynced(namespace);
          await sleep(FORBIDDEN_RETRY_MS, this.#stop.signal);
          continue;
        }
        const wait = backoff.next();
        log.warn(
          { err: errorMessage(err), status: KubeApiError.is(err) ? err.status : undefined, retryMs: wait },
          'list/watch failed; retrying',
        );
        await sleep(wait, this.#stop.signal);
      }
    }
  }

  #watch(
    namespace: string | undefined,
    resourceVersion: string,
    setVersion: (rv: string) => void,
  ): Promise<{ outcome: WatchOutcome; events: number }> {
    return new Promise((resolve, reject) => {
      let last = Date.now();
      let events = 0;
      let outcome: WatchOutcome = 'ended';
      let failure: KubeApiError | undefined;
      const timeoutSeconds = Math.round(this.#o.watchTimeoutSeconds * (1 + Math.random()));
      this.stats.watches += 1;
      const stream = this.#o.client.watch(
        this.#o.resource,
        namespace,
        { resourceVersion, timeoutSeconds },
        (event) => {
          last = Date.now();
          events += 1;
          if (event.type === 'BOOKMARK') {
            if (event.resourceVersion !== '') setVersion(event.resourceVersion);
          } else if (event.type === 'ERROR') {
            if (event.error.status === 410) outcome = 'expired';
            else failure = event.error;
            stream.abort();
          } else {
            this.#apply(event.type, event.object);
            const rv = event.object.metadata.resourceVersion;
            if (rv !== undefined) setVersion(rv);
          }
        },
      );
      this.#streams.add(stream);
      const watchdog = setInterval(
        () => {
          if (Date.now() - last > this.#o.watchdogMs) {
            outcome = 'stalled';
            stream.abort();
          }
        },
        Math.max(10, Math.min(1000, Math.floor(this.#o.watchdogMs / 4))),
      );
      const finish = (): void => {
        clearInterval(watchdog);
        this.#streams.delete(stream);
      };
      stream.done.then(
        () => {
          finish();
          if (failure === undefined) resolve({ outcome, events });
          else reject(failure);
        },
        (err: unknown) => {
          finish();
          if (KubeApiError.is(err, 410)) resolve({ outcome: 'expired', events });
          else reject(err);
        },
      );
    });
  }

  #apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: KubeObject): void {
    if (type === 'DELETED') {
      const old = this.#cache.delete(raw);
      this.#emit({ type: 'deleted', object: old ?? this.#transform(raw) });
      return;
    }
    const object = this.#transform(raw);
    const old = this.#cache.set(object);
    this.#emit(old === undefined ? { type: 'added', object } : { type: 'updated', object, old });
  }

  /** A relist: the namespace's cache becomes the list; differences are delivered as events. */
  #replace(namespace: string | undefined, items: readonly KubeObject[]): void {
    const seen = new Set<string>();
    for (const raw of items) {
      const object = this.#transform(raw);
      seen.add(keyOf(object));
      const old = this.#cache.set(object);
      if (old === undefined) this.#emit({ type: 'added', object });
      else if (old.metadata.resourceVersion !== object.metadata.resourceVersion)
        this.#emit({ type: 'updated', object, old });
    }
    for (const object of this.#cache.inScope(namespace)) {
      if (!seen.has(keyOf(object))) {
        this.#cache.delete(object);
        this.#emit({ type: 'deleted', object });
      }
    }
  }

  #transform(object: KubeObject): KubeObject {
    return this.#o.transform === undefined ? object : this.#o.transform(object);
  }

  #emit(event: InformerEvent): void {
    for (const handler of this.#handlers) {
      try {
        handler(event);
      } catch (err) {
        this.#o.logger.error(
          { err: errorMessage(err), resource: this.#o.resource.plural },
          'informer handler failed',
        );
      }
    }
  }

  #markSynced(namespace: string | undefined): void {
    this.#synced.add(namespace ?? '');
    if (!this.synced) return;
    for (const resolve of this.#syncWaiters) resolve();
    this.#syncWaiters.clear();
  }
}
