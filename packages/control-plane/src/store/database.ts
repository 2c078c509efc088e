import { Kysely, PostgresDialect } from 'kysely';
import type { ColumnType, Generated } from 'kysely';
import pg from 'pg';

/*
 * Table types for kysely. `bigint` columns come back from pg as strings (int8 does not fit a JS
 * number in general); the stores convert revisions with `Number`, safe up to 2^53 writes. jsonb
 * columns are written as JSON text (pg would turn a JS array into a Postgres array literal).
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Int8 = ColumnType<string, number | string, number | string>;
type Json<T> = ColumnType<T, string, string>;

export interface ResourcesTable {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  generation: Int8;
  /** The config revision of the object's last write (its `metadata.resourceVersion`). */
  resource_version: Int8;
  labels: Json<Record<string, string>>;
  annotations: Json<Record<string, string>>;
  spec: Json<Record<string, unknown>>;
  status: Json<Record<string, unknown>>;
  origin_cluster: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ConfigRevisionTable {
  id: ColumnType<boolean, boolean | undefined, never>;
  revision: Int8;
  /** The config epoch (ADR 0008): random, set once by migration 0006. */
  epoch: ColumnType<string, string | undefined, string>;
}

export interface ClustersTable {
  name: string;
  labels: Json<Record<string, string>>;
  /** `active` while a gateway of the cluster was seen recently, else `unreachable`. */
  state: string;
  last_seen: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
}

export interface GatewaysTable {
  node_id: string;
  cluster: string;
  /** `grpc` or `nats`: the driver the gateway was last seen on. */
  transport: string;
  node: Json<Record<string, unknown>>;
  applied_revision: Int8;
  applied_hash: string;
  last_ack_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_nack_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_nack_error: string | null;
  last_nack_revision: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  last_seen: Timestamp;
  connected: boolean;
}

export interface SnapshotsTable {
  cluster: string;
  revision: Int8;
  hash: string;
  published_at: Timestamp;
  /** The snapshot's config objects: `[{ kind, name, value }]`. */
  objects: Json<readonly { kind: string; name: string; value: unknown }[]>;
  id: Generated<string>;
}

export interface Database {
  resources: ResourcesTable;
  config_revision: ConfigRevisionTable;
  clusters: ClustersTable;
  gateways: GatewaysTable;
  snapshots: SnapshotsTable;
}

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  readonly db: Db;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

const pools = new WeakMap<Db, pg.Pool>();

/**
 * The pg pool under a Db made by `openDatabase` (undefined for any other, e.g. a transaction), for
 * what kysely cannot send: a named prepared statement (the usage store's batch insert).
 */
export function poolOf(db: Db): pg.Pool | undefined {
  return pools.get(db);
}

/** A kysely instance over a pg pool; idle-client errors (a restarted server) are logged, not fatal. */
export function openDatabase(url: string, onError: (err: unknown) => void, max = 10): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
  pool.on('error', onError);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return {
    db,
    pool,
    close: async () => {
      await db.destroy();
    },
  };
}
