import type { ColumnType, Kysely } from 'kysely';
import type { Db } from '../store/database.js';

/*
 * The usage table (migration `0003_usage_records`), as kysely sees it. Declared here rather than
 * in `store/database.ts`: only the usage module reads it. Counts are `bigint` columns (a uint32 of
 * the wire does not fit Postgres `integer`, and sums need the room); pg returns them as strings.
 */

type Int8 = ColumnType<string, number | string, number | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface UsageRecordsTable {
  /** The gateway's request id: the idempotency key of the record. */
  request_id: string;
  /** The cluster whose gateway sent it (from the subject `hubpo.usage.<cluster>`). */
  cluster: string;
  started_at: Timestamp;
  finished_at: Timestamp;
  consumer: string;
  route: string;
  model: string;
  provider: string;
  target: string;
  input_tokens: Int8;
  cached_input_tokens: Int8;
  cache_write_tokens: Int8;
  reasoning_tokens: Int8;
  output_tokens: Int8;
  estimated: boolean;
  cost_micros: Int8;
  /** '' when the target had no price (the cost is unknown, not zero). */
  currency: string;
  latency_ms: Int8;
  time_to_first_token_ms: Int8;
  status_code: number;
  error_code: string;
  stream: boolean;
  aborted: boolean;
  /** The target had no price for tokens the call used (migration `0004_usage_unpriced`). */
  unpriced: ColumnType<boolean, boolean | undefined, boolean>;
  received_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface UsageDatabase {
  usage_records: UsageRecordsTable;
}

export type UsageDb = Kysely<UsageDatabase>;

/** The same connection, typed with the usage table. */
export function usageDb(db: Db): UsageDb {
  return db as unknown as UsageDb;
}
