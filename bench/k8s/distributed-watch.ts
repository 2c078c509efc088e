import { performance } from 'node:perf_hooks';

interface WatchedObject {
  readonly metadata?: { readonly name?: string; readonly resourceVersion?: string };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly conditions?: readonly {
      readonly type: string;
      readonly status: string;
      readonly observedGeneration?: number;
    }[];
  };
}

/**
 * A watch on one collection of a Kubernetes API server (plain HTTP, as kubectl does), noting
 * when each generation of one object first shows `Distributed=True` (the condition and
 * `status.observedGeneration` both at that generation). A watch that ends is resumed from the
 * last resourceVersion seen.
 */
export class DistributedWatch {
  readonly #collectionUrl: string;
  readonly #name: string;
  readonly #seen = new Map<number, number>();
  readonly #waiters = new Map<number, (at: number) => void>();
  readonly #abort = new AbortController();
  #resourceVersion: string;
  #loop: Promise<void> | undefined;

  constructor(collectionUrl: string, name: string, resourceVersion: string) {
    this.#collectionUrl = collectionUrl;
    this.#name = name;
    this.#resourceVersion = resourceVersion;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  /** `performance.now()` at which `generation` was first seen distributed (waits for it). */
  distributedAt(generation: number, timeoutMs = 30_000): Promise<number> {
    const seen = this.#seen.get(generation);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(generation);
        reject(new Error(`generation ${generation} not Distributed=True after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(generation, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  async #run(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      try {
        await this.#watchOnce();
      } catch {
        if (this.#abort.signal.aborted) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async #watchOnce(): Promise<void> {
    const url = `${this.#collectionUrl}?watch=1&allowWatchBookmarks=true&timeoutSeconds=3600&resourceVersion=${this.#resourceVersion}`;
    const res = await fetch(url, { signal: this.#abort.signal });
    if (res.body === null || res.status !== 200) throw new Error(`watch answered ${res.status}`);
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of res.body) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline !== -1) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') this.#onEvent(JSON.parse(line) as { type: string; object: WatchedObject });
        newline = buffered.indexOf('\n');
      }
    }
  }

  #onEvent(event: { type: string; object: WatchedObject }): void {
    const at = performance.now();
    if (event.type === 'ERROR') {
      // 410 Gone: start over from the current state (the server replays it as ADDED events).
      this.#resourceVersion = '';
      throw new Error('watch expired');
    }
    const rv = event.object.metadata?.resourceVersion;
    if (rv !== undefined) this.#resourceVersion = rv;
    if (event.object.metadata?.name !== this.#name) return;
    const status = event.object.status;
    const generation = status?.observedGeneration;
    if (generation === undefined || this.#seen.has(generation)) return;
    const distributed = status?.conditions?.find((c) => c.type === 'Distributed');
    if (distributed?.status !== 'True' || distributed.observedGeneration !== generation) return;
    this.#seen.set(generation, at);
    this.#waiters.get(generation)?.(at);
    this.#waiters.delete(generation);
  }
}
