import type { ServerResponse } from 'node:http';
import { getRecord, type JsonObject } from './json-value.js';
import { KubeStatusError } from './kube-status.js';
import type { ObjectStore, StoreEvent } from './object-store.js';
import { renderAs, type ResourceType } from './resource-registry.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchRequest {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly matches: (object: JsonObject) => boolean;
  /** Unset or "0": start with synthetic ADDED events for the current objects. */
  readonly resourceVersion: string | undefined;
  readonly allowBookmarks: boolean;
  readonly timeoutSeconds: number | undefined;
  readonly sendInitialEvents: boolean;
}

export interface WatchHubOptions {
  readonly bookmarkIntervalMs: number;
  /** The current objects of a storage, in the namespace, already filtered by the request. */
  readonly currentObjects: (request: WatchRequest) => JsonObject[];
}

interface Watcher {
  readonly request: WatchRequest;
  readonly res: ServerResponse;
  readonly queue: string[];
  readonly timers: NodeJS.Timeout[];
  endWhenFlushed: boolean;
  closed: boolean;
}

function line(type: WatchEventType, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}

function withResourceVersion(object: JsonObject, rv: number): JsonObject {
  return { ...object, metadata: { ...(getRecord(object, 'metadata') ?? {}), resourceVersion: String(rv) } };
}

/**
 * Watch streams (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
 * newline-delimited JSON events over a chunked 200 response. Each stored change is converted per
 * watcher as the API server's watch cache does: an object that starts matching the selectors is
 * ADDED, one that stops matching is DELETED (its previous state at the new resourceVersion).
 */
export class WatchHub {
  readonly #store: ObjectStore;
  readonly #options: WatchHubOptions;
  readonly #watchers = new Set<Watcher>();
  #stalledUntil = 0;
  #stallTimer: NodeJS.Timeout | undefined;
  readonly #unsubscribe: () => void;

  constructor(store: ObjectStore, options: WatchHubOptions) {
    this.#store = store;
    this.#options = options;
    this.#unsubscribe = store.subscribe((event) => this.#dispatch(event));
  }

  /** Open watches, optionally only those on one resource (plural). */
  count(plural?: string): number {
    let n = 0;
    for (const w of this.#watchers) if (plural === undefined || w.request.type.plural === plural) n++;
    return n;
  }

  /** Validates the request before anything is written; throws a KubeStatusError for a 4xx. */
  static parseResourceVersion(resourceVersion: string | undefined): number | undefined {
    if (resourceVersion === undefined || resourceVersion === '' || resourceVersion === '0') return undefined;
    if (!/^[0-9]+$/.test(resourceVersion))
      throw KubeStatusError.badRequest(`invalid resource version: ${resourceVersion}`);
    return Number(resourceVersion);
  }

  open(res: ServerResponse, request: WatchRequest): void {
    const from = WatchHub.parseResourceVersion(request.resourceVersion);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const watcher: Watcher = { request, res, queue: [], timers: [], endWhenFlushed: false, closed: false };
    this.#watchers.add(watcher);
    res.on('close', () => this.#cleanup(watcher));
    if (from !== undefined) {
      const events = this.#store.since(request.type.storageKey, from);
      if (events === 'expired') {
        const message = `too old resource version: ${from} (${this.#store.compactedRevision})`;
        this.#write(watcher, line('ERROR', KubeStatusError.expired(message).status));
        this.#end(watcher);
        return;
      }
      for (const event of events) this.#deliver(watcher, event);
    }
    if (from === undefined || request.sendInitialEvents) {
      for (const object of this.#options.currentObjects(request))
        this.#write(watcher, line('ADDED', renderAs(request.type, object)));
      if (request.sendInitialEvents && request.allowBookmarks) this.#bookmark(watcher, true);
    }
    if (request.allowBookmarks) {
      watcher.timers.push(
        setInterval(() => this.#bookmark(watcher, false), this.#options.bookmarkIntervalMs),
      );
    }
    if (request.timeoutSeconds !== undefined && request.timeoutSeconds > 0) {
      watcher.timers.push(setTimeout(() => this.#end(watcher), request.timeoutSeconds * 1000));
    }
  }

  /** Ends every watch: abruptly (socket destroyed mid-stream) or cleanly (end of the chunked body). */
  breakAll(graceful: boolean): void {
    for (const watcher of [...this.#watchers]) {
      if (graceful) {
        watcher.queue.length = 0;
        this.#finish(watcher);
      } else {
        watcher.res.destroy();
        this.#cleanup(watcher);
      }
    }
  }

  /** For `ms`, every watch (open or opened meanwhile) stays open and silent; events are held, not lost. */
  stall(ms: number): void {
    this.#stalledUntil = Math.max(this.#stalledUntil, Date.now() + ms);
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = setTimeout(() => this.#flushAll(), Math.max(0, this.#stalledUntil - Date.now()));
  }

  /** The watches of storages that no longer exist end cleanly. */
  endStorages(storageKeys: readonly string[]): void {
    for (const watcher of [...this.#watchers]) {
      if (storageKeys.includes(watcher.request.type.storageKey)) this.#end(watcher);
    }
  }

  close(): void {
    this.#unsubscribe();
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    for (const watcher of [...this.#watchers]) {
      watcher.res.destroy();
      this.#cleanup(watcher);
    }
  }

  #stalled(): boolean {
    return Date.now() < this.#stalledUntil;
  }

  #flushAll(): void {
    this.#stallTimer = undefined;
    if (this.#stalled()) {
      this.stall(0);
      return;
    }
    for (const watcher of [...this.#watchers]) {
      for (const chunk of watcher.queue.splice(0)) watcher.res.write(chunk);
      if (watcher.endWhenFlushed) this.#finish(watcher);
    }
  }

  #write(watcher: Watcher, chunk: string): void {
    if (watcher.closed) return;
    if (this.#stalled()) watcher.queue.push(chunk);
    else watcher.res.write(chunk);
  }

  #end(watcher: Watcher): void {
    if (this.#stalled()) watcher.endWhenFlushed = true;
    else this.#finish(watcher);
  }

  #finish(watcher: Watcher): void {
    if (watcher.closed) return;
    this.#cleanup(watcher);
    watcher.res.end();
  }

  #cleanup(watcher: Watcher): void {
    watcher.closed = true;
    for (const timer of watcher.timers) clearTimeout(timer);
    this.#watchers.delete(watcher);
  }

  #bookmark(watcher: Watcher, initialEventsEnd: boolean): void {
    if (this.#stalled()) return;
    const metadata: JsonObject = { resourceVersion: String(this.#store.revision) };
    if (initialEventsEnd) metadata['annotations'] = { 'k8s.io/initial-events-end': 'true' };
    const { apiVersion, kind } = watcher.request.type;
    this.#write(watcher, line('BOOKMARK', { kind, apiVersion, metadata }));
  }

  #dispatch(event: StoreEvent): void {
    for (const watcher of this.#watchers) {
      if (watcher.request.type.storageKey === event.storageKey) this.#deliver(watcher, event);
    }
  }

  #deliver(watcher: Watcher, event: StoreEvent): void {
    const { matches, type } = watcher.request;
    const current = event.type !== 'DELETED' && matches(event.object);
    const previous = event.prev !== undefined && matches(event.prev);
    if (current && previous) this.#write(watcher, line('MODIFIED', renderAs(type, event.object)));
    else if (current) this.#write(watcher, line('ADDED', renderAs(type, event.object)));
    else if (previous && event.prev) {
      this.#write(watcher, line('DELETED', renderAs(type, withResourceVersion(event.prev, event.rv))));
    }
  }
}
