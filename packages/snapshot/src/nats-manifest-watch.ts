import type { KV, KvEntry, NatsConnection, QueuedIterator, Status } from 'nats';

/** A cluster's manifest as readers see it (blob references resolved). */
export interface ConfigManifest {
  readonly cluster: string;
  readonly revision: number;
  readonly hash: string;
  /** Epoch of `revision` ("" from publishers older than epochs; ADR 0008). */
  readonly epoch: string;
  readonly publishedAtUnixMs: number;
  /** `resourceKey` -> version of every resource of the revision. */
  readonly resources: ReadonlyMap<string, string>;
}

export interface ManifestWatchOptions {
  /** Transient watch failures (retried) and errors thrown by the callback. */
  readonly onError?: (err: unknown) => void;
}

export interface ManifestWatch {
  stop(): Promise<void>;
}

type StoppableStatus = AsyncIterable<Status> & { stop?: () => void };

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/**
 * Follows one manifest key. Survives server restarts and reconnects: the KV watch (an ordered
 * consumer on the server) is recreated after every reconnect and after any failure, with
 * backoff; a recreated watch first yields the current manifest, so nothing published while
 * disconnected is missed. Callbacks run one at a time, only for a new (epoch, revision, hash), and a
 * slow callback is next given the latest manifest only (intermediate ones are skipped).
 */
export class NatsManifestWatch implements ManifestWatch {
  readonly #nc: NatsConnection;
  readonly #kv: KV;
  readonly #key: string;
  readonly #resolve: (entry: KvEntry) => Promise<ConfigManifest>;
  readonly #onManifest: (manifest: ConfigManifest) => void | Promise<void>;
  readonly #onError: (err: unknown) => void;
  #stopped = false;
  /** Reconnects seen; a watch created across one may be bound to a consumer that is gone. */
  #reconnects = 0;
  #iterator: QueuedIterator<KvEntry> | undefined;
  #status: StoppableStatus | undefined;
  #wakeUp: (() => void) | undefined;
  #last: { readonly revision: number; readonly hash: string; readonly epoch: string } | undefined;
  #pending: ConfigManifest | undefined;
  #delivering: Promise<void> | undefined;
  #loops: Promise<unknown> | undefined;

  constructor(
    nc: NatsConnection,
    kv: KV,
    key: string,
    resolve: (entry: KvEntry) => Promise<ConfigManifest>,
    onManifest: (manifest: ConfigManifest) => void | Promise<void>,
    options: ManifestWatchOptions = {},
  ) {
    this.#nc = nc;
    this.#kv = kv;
    this.#key = key;
    this.#resolve = resolve;
    this.#onManifest = onManifest;
    this.#onError = options.onError ?? (() => undefined);
  }

  start(): void {
    this.#status = this.#nc.status() as StoppableStatus;
    this.#loops = Promise.all([this.#watchLoop(), this.#statusLoop(this.#status)]);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#iterator?.stop();
    this.#status?.stop?.();
    this.#wakeUp?.();
    await this.#loops;
    await this.#delivering;
  }

  async #watchLoop(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    while (!this.#stopped) {
      try {
        const reconnects = this.#reconnects;
        const iterator = await this.#kv.watch({ key: this.#key });
        this.#iterator = iterator;
        if (this.#stopped || reconnects !== this.#reconnects) iterator.stop();
        for await (const entry of iterator) {
          backoff = MIN_BACKOFF_MS;
          if (entry.operation === 'PUT') await this.#offer(entry);
        }
      } catch (err) {
        if (!this.#stopped) this.#onError(err);
      } finally {
        this.#iterator = undefined;
      }
      if (this.#stopped || this.#nc.isClosed()) break;
      await this.#sleep(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /** After a reconnect the server may have restarted and lost the watch's consumer: recreate it. */
  async #statusLoop(status: StoppableStatus): Promise<void> {
    for await (const event of status) {
      if (this.#stopped) break;
      if (String(event.type) === 'reconnect') {
        this.#reconnects += 1;
        this.#iterator?.stop();
        this.#wakeUp?.();
      }
    }
  }

  async #offer(entry: KvEntry): Promise<void> {
    let manifest: ConfigManifest;
    try {
      manifest = await this.#resolve(entry);
    } catch (err) {
      this.#onError(err);
      return;
    }
    this.#pending = manifest;
    this.#kick();
  }

  #kick(): void {
    if (this.#delivering !== undefined) return;
    this.#delivering = this.#deliver().finally(() => {
      this.#delivering = undefined;
      if (this.#pending !== undefined && !this.#stopped) this.#kick();
    });
  }

  async #deliver(): Promise<void> {
    while (this.#pending !== undefined && !this.#stopped) {
      const manifest = this.#pending;
      this.#pending = undefined;
      const last = this.#last;
      if (
        last?.revision === manifest.revision &&
        last.hash === manifest.hash &&
        last.epoch === manifest.epoch
      )
        continue;
      this.#last = { revision: manifest.revision, hash: manifest.hash, epoch: manifest.epoch };
      try {
        await this.#onManifest(manifest);
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeUp = done;
    });
    this.#wakeUp = undefined;
  }
}
