import type { ColumnType, Kysely, Transaction } from 'kysely';
import type { Database, Db, ResourcesTable } from '../store/database.js';

/*
 * Tables of the cluster API (migration `0002_cluster_api`, ADR 0006), as kysely sees them. They
 * extend the store's `Database` here rather than in `store/database.ts`: only this module reads
 * them.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Int8 = ColumnType<string, number | string, number | string>;
type Json<T> = ColumnType<T, string, string>;

export interface ClusterOperatorsTable {
  cluster: string;
  /** Hex SHA-256 of the cluster token; the token itself is never stored. */
  token_sha256: string;
  registered_at: Timestamp;
  last_heartbeat: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** What the operator said about itself (pod, version), shown in the cluster list. */
  operator: Json<Record<string, string>>;
}

export interface ResourceCredentialsTable {
  kind: string;
  namespace: string;
  name: string;
  /** The resource_version of the write that stored it: translation uses the rows of the version it read. */
  resource_version: Int8;
  target_index: number;
  /** base64(iv|tag|ciphertext), AES-256-GCM under HUBPO_SECRET_KEY, bound to the row by its AAD. */
  sealed: string;
  /** Keyed digest of the plaintext: tells an unchanged credential apart without opening it. */
  digest: string;
  created_at: Timestamp;
}

export interface ClusterDatabase extends Omit<Database, 'resources'> {
  resources: ResourcesTable & { status_version: Int8 };
  cluster_operators: ClusterOperatorsTable;
  resource_credentials: ResourceCredentialsTable;
}

export type ClusterDb = Kysely<ClusterDatabase>;

/** The same connection, typed with the cluster API's tables. */
export function clusterDb(db: Db): ClusterDb {
  return db as unknown as ClusterDb;
}

export function clusterTrx(trx: Transaction<Database>): Transaction<ClusterDatabase> {
  return trx as unknown as Transaction<ClusterDatabase>;
}
