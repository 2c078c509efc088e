import type pg from 'pg';
import { errorMessage } from '@hubpo/core';
import type { Runner } from '@hubpo/core';
import type { Logger } from '../logger.js';
import type { Db } from '../store/database.js';
import { clusterDb } from './cluster-tables.js';
import type { ClusterDb } from './cluster-tables.js';

/** The status of one object of a cluster, as operators read it. */
export interface ClusterObjectStatus {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** The object's (Kubernetes) generation as stored. */
  readonly generation: number;
  readonly status: Readonly<Record<string, unknown>>;
}

export interface StatusPage {
  /** Pass as `after` to read only later changes. */
  readonly cursor: string;
  readonly items: readonly ClusterObjectStatus[];
}

/** Postgres channel the status trigger notifies (payload: the origin cluster). */
export const STATUS_CHANNEL = 'hubpo_status';

interface Waiter {
  readonly cluster: string;
  wake(): void;
}

/**
 * Status changes of each cluster's objects, for operators to long-poll. Changes are ordered by
 * `resources.status_version` (migration 0002); a trigger notifies STATUS_CHANNEL on every change,
 * on which a dedicated connection LISTENs, so a waiting poll answers as soon as the status is
 * committed, whichever replica wrote it. Without that connection (it reconnects with backoff)
 * waiting polls re-read every `fallbackPollMs`.
 */
export class StatusFeed implements Runner {
  readonly name = 'cluster-status-feed';
  readonly #db: ClusterDb;
  readonly #pool: pg.Pool;
  readonly #logger: Logger;
  readonly #fallbackPollMs: number;
  readonly #waiters = new Set<Waiter>();
  readonly #released = new WeakSet<pg.PoolClient>();
  #client: pg.PoolClient | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #retryMs = 0;
  #stopped = false;

  constructor(options: { db: Db; pool: pg.Pool; logger: Logger; fallbackPollMs?: number }) {
    this.#db = clusterDb(options.db);
    this.#pool = options.pool;
    this.#logger = options.logger;
    this.#fallbackPollMs = options.fallbackPollMs ?? 1000;
  }

  async start(): Promise<void> {
    await this.#listen();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#reconnect !== undefined) clearTimeout(this.#reconnect);
    for (const waiter of this.#waiters) waiter.wake();
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      await client.query(`unlisten ${STATUS_CHANNEL}`).catch(() => undefined);
      this.#release(client);
    }
  }

  /**
   * Statuses of the cluster's objects changed after `after` (every object when undefined). With
   * nothing to return, waits up to `waitMs` for a change; an aborted `signal` ends the wait.
   */
  async read(
    cluster: string,
    after: number | undefined,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<StatusPage> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      // Subscribe before reading, so a change committed during the read still wakes us.
      const waiter = this.#subscribe(cluster);
      try {
        const page = await this.#query(cluster, after);
        const left = deadline - Date.now();
        if (page.items.length > 0 || left <= 0 || signal.aborted || this.#stopped) return page;
        await waiter.wait(Math.min(left, this.#client === undefined ? this.#fallbackPollMs : 5000), signal);
      } finally {
        waiter.cancel();
      }
    }
  }

  async #query(cluster: string, after: number | undefined): Promise<StatusPage> {
    let select = this.#db
      .selectFrom('resources')
      .select(['kind', 'namespace', 'name', 'generation', 'status', 'status_version'])
      .where('origin_cluster', '=', cluster);
    if (after !== undefined) select = select.where('status_version', '>', String(after));
    const rows = await select
      .orderBy('status_version')
      .orderBy('kind')
      .orderBy('namespace')
      .orderBy('name')
      .execute();
    let cursor = after ?? 0;
    for (const r of rows) cursor = Math.max(cursor, Number(r.status_version));
    return {
      cursor: String(cursor),
      items: rows.map((r) => ({
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        generation: Number(r.generation),
        status: r.status,
      })),
    };
  }

  #subscribe(cluster: string): { wait(ms: number, signal: AbortSignal): Promise<void>; cancel(): void } {
    let resolve: () => void = () => undefined;
    const woken = new Promise<void>((r) => (resolve = r));
    const waiter: Waiter = { cluster, wake: () => resolve() };
    this.#waiters.add(waiter);
    return {
      wait: async (ms, signal) => {
        const timer = setTimeout(resolve, ms);
        const onAbort = (): void => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        await woken;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      },
      cancel: () => {
        this.#waiters.delete(waiter);
        resolve();
      },
    };
  }

  #wake(cluster: string): void {
    for (const waiter of this.#waiters) if (waiter.cluster === cluster) waiter.wake();
  }

  async #listen(): Promise<void> {
    if (this.#stopped) return;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.#pool.connect();
      if (this.#stopped) {
        this.#release(client);
        return;
      }
      client.on('notification', (msg) => this.#wake(msg.payload ?? ''));
      client.on('error', (err) => this.#lost(client, err));
      await client.query(`listen ${STATUS_CHANNEL}`);
      this.#client = client;
      this.#retryMs = 0;
      // Changes committed while nobody listened: let every waiting poll read again.
      for (const waiter of this.#waiters) waiter.wake();
    } catch (err) {
      this.#lost(client, err);
    }
  }

  /** Returns the connection to the pool once; after an error the pool discards it. */
  #release(client: pg.PoolClient, err?: unknown): void {
    if (this.#released.has(client)) return;
    this.#released.add(client);
    client.release(err === undefined ? undefined : err instanceof Error ? err : true);
  }

  #lost(client: pg.PoolClient | undefined, err: unknown): void {
    if (client !== undefined && this.#client === client) this.#client = undefined;
    if (client !== undefined) this.#release(client, err);
    if (this.#stopped || this.#reconnect !== undefined) return;
    this.#retryMs = Math.min(Math.max(this.#retryMs * 2, 250), 10_000);
    this.#logger.warn(
      { err: errorMessage(err), retryMs: this.#retryMs },
      'status notifications lost; polling until reconnected',
    );
    this.#reconnect = setTimeout(() => {
      this.#reconnect = undefined;
      void this.#listen();
    }, this.#retryMs);
    this.#reconnect.unref();
  }
}
