/**
 * A typed map whose changes can be watched: the glue between runners (Envoy Gateway's
 * watchable maps). Subscribers get the current contents first, then every change, coalesced:
 * a slow subscriber sees the latest value of each key, never a backlog of stale ones.
 */
export type WatchEvent<K, V> =
  { readonly kind: 'set'; readonly key: K; readonly value: V } | { readonly kind: 'delete'; readonly key: K };

export interface WatchBatch<K, V> {
  /** True for the first batch a subscriber gets: the full contents at subscription time. */
  readonly initial: boolean;
  readonly events: readonly WatchEvent<K, V>[];
}

export type WatchHandler<K, V> = (batch: WatchBatch<K, V>) => void | Promise<void>;

export interface Subscription {
  close(): void;
}

export interface WatchableOptions<V> {
  /** Values equal to the stored one are not events (default: Object.is). */
  readonly equals?: (a: V, b: V) => boolean;
  readonly onError?: (err: unknown) => void;
}

interface Subscriber<K, V> {
  readonly handler: WatchHandler<K, V>;
  pending: Map<K, WatchEvent<K, V>>;
  running: boolean;
  closed: boolean;
}

export class Watchable<K, V> {
  readonly #data = new Map<K, V>();
  readonly #subscribers = new Set<Subscriber<K, V>>();
  readonly #equals: (a: V, b: V) => boolean;
  readonly #onError: (err: unknown) => void;

  constructor(options: WatchableOptions<V> = {}) {
    this.#equals = options.equals ?? Object.is;
    this.#onError = options.onError ?? ((err) => console.error('watchable subscriber failed', err));
  }

  get size(): number {
    return this.#data.size;
  }

  get(key: K): V | undefined {
    return this.#data.get(key);
  }

  has(key: K): boolean {
    return this.#data.has(key);
  }

  entries(): IterableIterator<[K, V]> {
    return this.#data.entries();
  }

  snapshot(): ReadonlyMap<K, V> {
    return new Map(this.#data);
  }

  /** Stores a value; a value equal to the current one is not an event. */
  set(key: K, value: V): void {
    const old = this.#data.get(key);
    if (old !== undefined && this.#equals(old, value)) return;
    this.#data.set(key, value);
    this.#emit({ kind: 'set', key, value });
  }

  delete(key: K): void {
    if (!this.#data.delete(key)) return;
    this.#emit({ kind: 'delete', key });
  }

  subscribe(handler: WatchHandler<K, V>): Subscription {
    const sub: Subscriber<K, V> = { handler, pending: new Map(), running: false, closed: false };
    this.#subscribers.add(sub);
    const events: WatchEvent<K, V>[] = [];
    for (const [key, value] of this.#data) events.push({ kind: 'set', key, value });
    void this.#deliver(sub, { initial: true, events });
    return {
      close: () => {
        sub.closed = true;
        this.#subscribers.delete(sub);
      },
    };
  }

  #emit(event: WatchEvent<K, V>): void {
    for (const sub of this.#subscribers) {
      sub.pending.set(event.key, event);
      if (!sub.running) void this.#drain(sub);
    }
  }

  async #drain(sub: Subscriber<K, V>): Promise<void> {
    // Deliver on a microtask so a burst of synchronous sets coalesces into one batch.
    sub.running = true;
    await Promise.resolve();
    while (sub.pending.size > 0 && !sub.closed) {
      const events = [...sub.pending.values()];
      sub.pending = new Map();
      await this.#call(sub, { initial: false, events });
    }
    sub.running = false;
  }

  async #deliver(sub: Subscriber<K, V>, batch: WatchBatch<K, V>): Promise<void> {
    sub.running = true;
    await this.#call(sub, batch);
    sub.running = false;
    if (sub.pending.size > 0) void this.#drain(sub);
  }

  async #call(sub: Subscriber<K, V>, batch: WatchBatch<K, V>): Promise<void> {
    if (sub.closed) return;
    try {
      await sub.handler(batch);
    } catch (err) {
      // A failing subscriber must not stop the others or the producer.
      this.#onError(err);
    }
  }
}
