import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../store/database.js';
import { clusterDb } from './cluster-tables.js';
import type { ClusterDb } from './cluster-tables.js';

/** What an operator says when it registers its cluster. */
export interface ClusterRegistration {
  readonly name: string;
  /** Every label of the cluster, `cloud` and `region` included; replaces what was stored. */
  readonly labels: Readonly<Record<string, string>>;
  readonly operator: Readonly<Record<string, string>>;
}

export interface RegisteredCluster {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The new cluster token (shown once; only its SHA-256 is stored). */
  readonly token: string;
  /** True when no operator had registered the cluster before. */
  readonly created: boolean;
}

export interface OperatorRecord {
  readonly registeredAt: Date;
  readonly lastHeartbeat: Date | null;
  readonly operator: Readonly<Record<string, string>>;
}

const TOKEN_BYTES = 32;

/**
 * Clusters as operators register them, and their tokens. A registration replaces the cluster's
 * labels and rotates its token: the previous token stops working at once, which also fences an
 * operator replica that lost its leadership (ADR 0006). Tokens are compared by their SHA-256
 * (high-entropy random values need no slow hash), looked up through a unique index.
 */
export class ClusterRegistry {
  readonly #db: ClusterDb;

  constructor(db: Db) {
    this.#db = clusterDb(db);
  }

  async register(registration: ClusterRegistration): Promise<RegisteredCluster> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const tokenSha256 = sha256Hex(token);
    const labels = JSON.stringify(registration.labels);
    const created = await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('clusters')
        .values({ name: registration.name, labels, state: 'active', last_seen: sql`now()` })
        .onConflict((oc) => oc.column('name').doUpdateSet({ labels, state: 'active', last_seen: sql`now()` }))
        .execute();
      const previous = await trx
        .selectFrom('cluster_operators')
        .select('cluster')
        .where('cluster', '=', registration.name)
        .forUpdate()
        .executeTakeFirst();
      const operator = JSON.stringify(registration.operator);
      await trx
        .insertInto('cluster_operators')
        .values({
          cluster: registration.name,
          token_sha256: tokenSha256,
          last_heartbeat: sql`now()`,
          operator,
        })
        .onConflict((oc) =>
          oc.column('cluster').doUpdateSet({
            token_sha256: tokenSha256,
            registered_at: sql`now()`,
            last_heartbeat: sql`now()`,
            operator,
          }),
        )
        .execute();
      return previous === undefined;
    });
    return { name: registration.name, labels: registration.labels, token, created };
  }

  /** The cluster a token belongs to, or undefined. */
  async authenticate(token: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('cluster_operators')
      .select('cluster')
      .where('token_sha256', '=', sha256Hex(token))
      .executeTakeFirst();
    return row?.cluster;
  }

  /** The operator is alive: the cluster is active and seen now. */
  async heartbeat(cluster: string, operator: Readonly<Record<string, string>>): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable('cluster_operators')
        .set({
          last_heartbeat: sql`now()`,
          ...(Object.keys(operator).length === 0 ? {} : { operator: JSON.stringify(operator) }),
        })
        .where('cluster', '=', cluster)
        .execute();
      await trx
        .updateTable('clusters')
        .set({ state: 'active', last_seen: sql`now()` })
        .where('name', '=', cluster)
        .execute();
    });
  }

  async operators(): Promise<ReadonlyMap<string, OperatorRecord>> {
    const rows = await this.#db.selectFrom('cluster_operators').selectAll().execute();
    return new Map(
      rows.map((r) => [
        r.cluster,
        { registeredAt: r.registered_at, lastHeartbeat: r.last_heartbeat, operator: r.operator },
      ]),
    );
  }
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
