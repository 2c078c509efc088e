import { sql } from 'kysely';
import type { Db } from './database.js';

export interface ClusterRecord {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `active`, or `unreachable` when no gateway of it was seen lately; its config stays. */
  readonly state: string;
  readonly lastSeen: Date | null;
  readonly createdAt: Date;
}

/** Known clusters. A cluster is registered the first time a gateway of it connects; never deleted for silence. */
export class ClusterStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async list(): Promise<readonly ClusterRecord[]> {
    const rows = await this.#db.selectFrom('clusters').selectAll().orderBy('name').execute();
    return rows.map((r) => ({
      name: r.name,
      labels: r.labels,
      state: r.state,
      lastSeen: r.last_seen,
      createdAt: r.created_at,
    }));
  }

  /** Registers a cluster; returns true when it was not known before. Labels given are merged in. */
  async ensure(name: string, labels: Readonly<Record<string, string>> = {}): Promise<boolean> {
    const inserted = await this.#db
      .insertInto('clusters')
      .values({ name, labels: JSON.stringify(labels), state: 'active' })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('name')
      .executeTakeFirst();
    if (inserted === undefined && Object.keys(labels).length > 0) {
      await this.#db
        .updateTable('clusters')
        .set({ labels: sql`labels || ${JSON.stringify(labels)}::jsonb` })
        .where('name', '=', name)
        .execute();
    }
    return inserted !== undefined;
  }

  /** Records gateway activity: the clusters are active and seen at `at`. */
  async touch(names: readonly string[], at: Date): Promise<void> {
    if (names.length === 0) return;
    await this.#db
      .updateTable('clusters')
      .set({ state: 'active', last_seen: at })
      .where('name', 'in', names)
      .execute();
  }

  /** Marks clusters not seen since `before` unreachable (only those that ever had a gateway). */
  async markSilent(before: Date): Promise<readonly string[]> {
    const rows = await this.#db
      .updateTable('clusters')
      .set({ state: 'unreachable' })
      .where('state', '=', 'active')
      .where('last_seen', '<', before)
      .returning('name')
      .execute();
    return rows.map((r) => r.name);
  }
}
