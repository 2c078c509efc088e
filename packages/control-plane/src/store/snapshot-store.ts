import { sql } from 'kysely';
import type { Db } from './database.js';

export interface StoredSnapshotObject {
  readonly kind: string;
  readonly name: string;
  readonly value: unknown;
}

export interface StoredSnapshot {
  readonly cluster: string;
  readonly revision: number;
  readonly hash: string;
  readonly publishedAt: Date;
  readonly objects: readonly StoredSnapshotObject[];
}

/**
 * Published snapshots, so a restarted control plane serves gateways the config they had before
 * translating anything. Only the last `keep` per cluster are kept.
 */
export class SnapshotStore {
  readonly #db: Db;
  readonly #keep: number;

  constructor(db: Db, keep = 10) {
    this.#db = db;
    this.#keep = keep;
  }

  async save(snapshot: Omit<StoredSnapshot, 'publishedAt'>, publishedAt: Date): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('snapshots')
        .values({
          cluster: snapshot.cluster,
          revision: snapshot.revision,
          hash: snapshot.hash,
          published_at: publishedAt,
          objects: JSON.stringify(snapshot.objects),
        })
        .execute();
      await trx
        .deleteFrom('snapshots')
        .where('cluster', '=', snapshot.cluster)
        .where(
          'id',
          'not in',
          trx
            .selectFrom('snapshots')
            .select('id')
            .where('cluster', '=', snapshot.cluster)
            .orderBy('id', 'desc')
            .limit(this.#keep),
        )
        .execute();
    });
  }

  /** The last published snapshot of every cluster. */
  async latest(): Promise<readonly StoredSnapshot[]> {
    const rows = await this.#db
      .selectFrom('snapshots')
      .select(['cluster', 'revision', 'hash', 'published_at', 'objects'])
      .distinctOn('cluster')
      .orderBy('cluster')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((r) => ({
      cluster: r.cluster,
      revision: Number(r.revision),
      hash: r.hash,
      publishedAt: r.published_at,
      objects: r.objects,
    }));
  }

  /** Last published revision and hash per cluster (for `GET /api/v1/config`). */
  async summary(): Promise<
    readonly { cluster: string; revision: number; hash: string; publishedAt: Date }[]
  > {
    const rows = await this.#db
      .selectFrom('snapshots')
      .select(['cluster', 'revision', 'hash', 'published_at'])
      .distinctOn('cluster')
      .orderBy('cluster')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((r) => ({
      cluster: r.cluster,
      revision: Number(r.revision),
      hash: r.hash,
      publishedAt: r.published_at,
    }));
  }

  async count(cluster: string): Promise<number> {
    const row = await this.#db
      .selectFrom('snapshots')
      .select(sql<string>`count(*)`.as('n'))
      .where('cluster', '=', cluster)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
