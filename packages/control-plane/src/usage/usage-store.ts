import { CompiledQuery, sql } from 'kysely';
import type { ExpressionBuilder, Selectable } from 'kysely';
import type pg from 'pg';
import type { UsageRecord } from '@hubpo/snapshot';
import { poolOf } from '../store/database.js';
import type { Db } from '../store/database.js';
import { USAGE_INSERT_STATEMENT, usageInsertValues } from './usage-insert.js';
import { usageDb } from './usage-tables.js';
import type { UsageDatabase, UsageDb, UsageRecordsTable } from './usage-tables.js';

/** One record with where it came from. */
export interface StoredUsage {
  readonly cluster: string;
  readonly record: UsageRecord;
  readonly receivedAt: Date;
}

/** Filters shared by the list and the summary; every given field must match. */
export interface UsageFilter {
  readonly consumer?: string;
  readonly model?: string;
  readonly target?: string;
  readonly provider?: string;
  readonly cluster?: string;
  /** `started_at >= since` */
  readonly since?: Date;
  /** `started_at < until` */
  readonly until?: Date;
}

/** Position of the last record of a page (lists are newest first by started_at, then request id). */
export interface UsageCursor {
  readonly startedAtUnixMs: number;
  readonly requestId: string;
}

export const USAGE_GROUP_BY = ['model', 'consumer', 'target', 'provider', 'cluster', 'route'] as const;
export type UsageGroupBy = (typeof USAGE_GROUP_BY)[number];

/** Columns of each grouping: a target is named within its AIModel, so it groups by both. */
const GROUP_COLUMNS: Readonly<Record<UsageGroupBy, readonly (keyof UsageRecordsTable & string)[]>> =
  Object.freeze({
    model: ['model'],
    consumer: ['consumer'],
    target: ['model', 'target'],
    provider: ['provider'],
    cluster: ['cluster'],
    route: ['route'],
  });

export interface UsageTotals {
  readonly requests: number;
  /** Calls that failed: an error code, or a status of 400 or more. */
  readonly errors: number;
  readonly aborted: number;
  readonly streamed: number;
  /** Calls whose token counts were (partly) estimated by the gateway. */
  readonly estimated: number;
  /** Calls that used tokens at a target without a price (`unpriced`): cost unknown, not in `costMicros`. */
  readonly unpriced: number;
  readonly tokens: {
    readonly input: number;
    readonly cachedInput: number;
    readonly cacheWrite: number;
    readonly reasoning: number;
    readonly output: number;
  };
  /** Cost per currency, in millionths of it (micro-USD for USD). */
  readonly costMicros: Readonly<Record<string, number>>;
}

export interface UsageSummaryItem extends UsageTotals {
  /** The group's key, e.g. `{ model: 'gpt-4o' }` or `{ model, target }`. */
  readonly key: Readonly<Record<string, string>>;
}

type Row = Selectable<UsageRecordsTable>;

/**
 * The `usage_records` table: idempotent batch inserts (a request id is stored once, whatever
 * arrives again), keyset-paged lists and grouped sums.
 */
export class UsageStore {
  readonly #db: UsageDb;
  /** Set when `db` came from `openDatabase`: inserts then use a named prepared statement. */
  readonly #pool: pg.Pool | undefined;

  constructor(db: Db) {
    this.#db = usageDb(db);
    this.#pool = poolOf(db);
  }

  /**
   * Inserts in one statement (`usage-insert.ts`); rows whose request id is stored already, or
   * came earlier in `items`, are skipped. Returns how many were new.
   */
  async insert(
    items: readonly { readonly cluster: string; readonly record: UsageRecord }[],
  ): Promise<number> {
    if (items.length === 0) return 0;
    const values = usageInsertValues(items);
    if (this.#pool !== undefined) {
      const result = await this.#pool.query({ ...USAGE_INSERT_STATEMENT, values });
      return result.rowCount ?? 0;
    }
    // Any other Db (a transaction, a Kysely made elsewhere): the same text, unnamed.
    const result = await this.#db.executeQuery(CompiledQuery.raw(USAGE_INSERT_STATEMENT.text, values));
    return Number(result.numAffectedRows ?? 0);
  }

  /** Up to `limit` records, newest first, strictly after `after`; `next` when there may be more. */
  async list(
    filter: UsageFilter,
    limit: number,
    after?: UsageCursor,
  ): Promise<{ readonly items: StoredUsage[]; readonly next?: UsageCursor }> {
    let query = this.#db
      .selectFrom('usage_records')
      .selectAll()
      .where((eb) => eb.and(conditions(eb, filter)));
    if (after !== undefined) {
      const at = new Date(after.startedAtUnixMs);
      query = query.where((eb) =>
        eb.or([
          eb('started_at', '<', at),
          eb.and([eb('started_at', '=', at), eb('request_id', '<', after.requestId)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('started_at', 'desc')
      .orderBy('request_id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(fromRow);
    const last = items.at(-1);
    return rows.length > limit && last !== undefined
      ? {
          items,
          next: { startedAtUnixMs: last.record.startedAtUnixMs, requestId: last.record.requestId },
        }
      : { items };
  }

  /** Totals per group (sorted by key), with the grand total. */
  async summary(
    groupBy: UsageGroupBy,
    filter: UsageFilter,
  ): Promise<{ readonly items: UsageSummaryItem[]; readonly total: UsageTotals }> {
    const columns = GROUP_COLUMNS[groupBy];
    let query = this.#db
      .selectFrom('usage_records')
      .select(columns)
      .select('currency')
      .select((eb) => [
        eb.fn.countAll<string>().as('requests'),
        sql<string>`count(*) filter (where error_code <> '' or status_code >= 400)`.as('errors'),
        sql<string>`count(*) filter (where aborted)`.as('aborted'),
        sql<string>`count(*) filter (where stream)`.as('streamed'),
        sql<string>`count(*) filter (where estimated)`.as('estimated'),
        sql<string>`count(*) filter (where unpriced)`.as('unpriced'),
        eb.fn.sum<string>('input_tokens').as('input'),
        eb.fn.sum<string>('cached_input_tokens').as('cached_input'),
        eb.fn.sum<string>('cache_write_tokens').as('cache_write'),
        eb.fn.sum<string>('reasoning_tokens').as('reasoning'),
        eb.fn.sum<string>('output_tokens').as('output'),
        eb.fn.sum<string>('cost_micros').as('cost'),
      ])
      .where((eb) => eb.and(conditions(eb, filter)))
      .groupBy([...columns, 'currency']);
    for (const column of columns) query = query.orderBy(column);
    const rows = (await query.execute()) as unknown as (SumRow & Record<string, string>)[];
    const groups = new Map<string, { key: Record<string, string>; totals: MutableTotals }>();
    const total = emptyTotals();
    for (const row of rows) {
      const key = Object.fromEntries(columns.map((c) => [c, row[c] ?? '']));
      const id = JSON.stringify(key);
      const group = groups.get(id) ?? { key, totals: emptyTotals() };
      groups.set(id, group);
      addSums(group.totals, row);
      addSums(total, row);
    }
    return { items: [...groups.values()].map((g) => ({ key: g.key, ...g.totals })), total };
  }
}

function conditions(eb: ExpressionBuilder<UsageDatabase, 'usage_records'>, filter: UsageFilter) {
  const out = [];
  if (filter.consumer !== undefined) out.push(eb('consumer', '=', filter.consumer));
  if (filter.model !== undefined) out.push(eb('model', '=', filter.model));
  if (filter.target !== undefined) out.push(eb('target', '=', filter.target));
  if (filter.provider !== undefined) out.push(eb('provider', '=', filter.provider));
  if (filter.cluster !== undefined) out.push(eb('cluster', '=', filter.cluster));
  if (filter.since !== undefined) out.push(eb('started_at', '>=', filter.since));
  if (filter.until !== undefined) out.push(eb('started_at', '<', filter.until));
  return out;
}

interface SumRow {
  readonly currency: string;
  readonly requests: string;
  readonly errors: string;
  readonly aborted: string;
  readonly streamed: string;
  readonly estimated: string;
  readonly unpriced: string;
  readonly input: string | null;
  readonly cached_input: string | null;
  readonly cache_write: string | null;
  readonly reasoning: string | null;
  readonly output: string | null;
  readonly cost: string | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };
type MutableTotals = Mutable<UsageTotals>;

function emptyTotals(): MutableTotals {
  return {
    requests: 0,
    errors: 0,
    aborted: 0,
    streamed: 0,
    estimated: 0,
    unpriced: 0,
    tokens: { input: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0, output: 0 },
    costMicros: {},
  };
}

function addSums(totals: MutableTotals, row: SumRow): void {
  totals.requests += Number(row.requests);
  totals.errors += Number(row.errors);
  totals.aborted += Number(row.aborted);
  totals.streamed += Number(row.streamed);
  totals.estimated += Number(row.estimated);
  totals.unpriced += Number(row.unpriced);
  totals.tokens.input += Number(row.input ?? 0);
  totals.tokens.cachedInput += Number(row.cached_input ?? 0);
  totals.tokens.cacheWrite += Number(row.cache_write ?? 0);
  totals.tokens.reasoning += Number(row.reasoning ?? 0);
  totals.tokens.output += Number(row.output ?? 0);
  if (row.currency !== '') {
    totals.costMicros[row.currency] = (totals.costMicros[row.currency] ?? 0) + Number(row.cost ?? 0);
  }
}

function fromRow(row: Row): StoredUsage {
  return {
    cluster: row.cluster,
    receivedAt: row.received_at,
    record: {
      requestId: row.request_id,
      startedAtUnixMs: row.started_at.getTime(),
      finishedAtUnixMs: row.finished_at.getTime(),
      consumer: row.consumer,
      route: row.route,
      model: row.model,
      provider: row.provider,
      target: row.target,
      inputTokens: Number(row.input_tokens),
      cachedInputTokens: Number(row.cached_input_tokens),
      cacheWriteTokens: Number(row.cache_write_tokens),
      reasoningTokens: Number(row.reasoning_tokens),
      outputTokens: Number(row.output_tokens),
      estimated: row.estimated,
      costMicros: Number(row.cost_micros),
      currency: row.currency,
      latencyMs: Number(row.latency_ms),
      timeToFirstTokenMs: Number(row.time_to_first_token_ms),
      statusCode: row.status_code,
      errorCode: row.error_code,
      stream: row.stream,
      aborted: row.aborted,
      unpriced: row.unpriced,
    },
  };
}
