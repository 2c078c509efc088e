import { HubpoError } from '@hubpo/core';
import type { UsageRecord } from '@hubpo/snapshot';

/** A record with the cluster whose gateway sent it, as the usage store inserts it. */
export interface ClusterUsage {
  readonly cluster: string;
  readonly record: UsageRecord;
}

/*
 * One fixed statement for every batch: the records travel as 24 column arrays (one parameter per
 * column, whatever the batch size) that `unnest` turns back into rows. The text never changes, so
 * Postgres keeps it as a named prepared statement per connection (parsed and planned once), and
 * the JS side only joins arrays instead of building SQL with 24 placeholders per record.
 *
 * The `unnest` calls stand in the select list, where Postgres runs them in lockstep (ProjectSet)
 * and streams their rows. The same arrays in `from unnest($1, ..., $24)` become 24 function scans
 * that each materialize a tuplestore: measured on Postgres 17, that costs about 250 µs more per
 * statement and a few µs more per row (bench/usage-insert.bench.ts).
 *
 * Rows are inserted in array order, so within one batch the first record of a request id wins
 * and later ones are skipped by `on conflict do nothing`, as with a multi-row VALUES list.
 *
 * Times travel as integer milliseconds since the Unix epoch and become `timestamptz` by interval
 * arithmetic on whole hours plus the remaining milliseconds: both products are exact in the
 * float8 that interval multiplication uses (a single `ms * interval '1 ms'` is not past the year
 * 4253), the intervals have no day or month parts, so the session time zone plays no part.
 */
const MS_PER_HOUR = 3_600_000;

/** One parameter of the statement: a column of the batch as a Postgres array. */
interface Column {
  /** Name in the unnested batch (and in `usage_records`, unless `into` says otherwise). */
  readonly name: string;
  /** Element type of the array parameter; `text` elements are quoted, `bool` ones are `t`/`f`. */
  readonly type: 'text' | 'int8' | 'int4' | 'bool';
  readonly value: (item: ClusterUsage) => string | number | boolean;
  /** The `usage_records` column and the expression that fills it, when not the same name. */
  readonly into?: { readonly column: string; readonly expr: string };
}

/** Integer Unix milliseconds in `ms` as `timestamptz` (see above). */
const timestamptz = (ms: string): string =>
  `timestamptz 'epoch' + (${ms} / ${MS_PER_HOUR}) * interval '1 hour' + (${ms} % ${MS_PER_HOUR}) * interval '1 millisecond'`;

/** Whole milliseconds, as `new Date(ms)` keeps them (NaN and infinities stay, and Postgres refuses them). */
function wholeMs(ms: number): number {
  return ms % 1 === 0 ? ms : Math.trunc(ms);
}

const COLUMNS: readonly Column[] = [
  { name: 'request_id', type: 'text', value: (u) => u.record.requestId },
  { name: 'cluster', type: 'text', value: (u) => u.cluster },
  {
    name: 'started_ms',
    type: 'int8',
    value: (u) => wholeMs(u.record.startedAtUnixMs),
    into: { column: 'started_at', expr: timestamptz('started_ms') },
  },
  {
    name: 'finished_ms',
    type: 'int8',
    value: (u) => wholeMs(u.record.finishedAtUnixMs),
    into: { column: 'finished_at', expr: timestamptz('finished_ms') },
  },
  { name: 'consumer', type: 'text', value: (u) => u.record.consumer },
  { name: 'route', type: 'text', value: (u) => u.record.route },
  { name: 'model', type: 'text', value: (u) => u.record.model },
  { name: 'provider', type: 'text', value: (u) => u.record.provider },
  { name: 'target', type: 'text', value: (u) => u.record.target },
  { name: 'input_tokens', type: 'int8', value: (u) => u.record.inputTokens },
  { name: 'cached_input_tokens', type: 'int8', value: (u) => u.record.cachedInputTokens },
  { name: 'cache_write_tokens', type: 'int8', value: (u) => u.record.cacheWriteTokens },
  { name: 'reasoning_tokens', type: 'int8', value: (u) => u.record.reasoningTokens },
  { name: 'output_tokens', type: 'int8', value: (u) => u.record.outputTokens },
  { name: 'estimated', type: 'bool', value: (u) => u.record.estimated },
  { name: 'cost_micros', type: 'int8', value: (u) => u.record.costMicros },
  { name: 'currency', type: 'text', value: (u) => u.record.currency },
  { name: 'latency_ms', type: 'int8', value: (u) => u.record.latencyMs },
  { name: 'time_to_first_token_ms', type: 'int8', value: (u) => u.record.timeToFirstTokenMs },
  { name: 'status_code', type: 'int4', value: (u) => u.record.statusCode },
  { name: 'error_code', type: 'text', value: (u) => u.record.errorCode },
  { name: 'stream', type: 'bool', value: (u) => u.record.stream },
  { name: 'aborted', type: 'bool', value: (u) => u.record.aborted },
  { name: 'unpriced', type: 'bool', value: (u) => u.record.unpriced },
];

const INSERT_TEXT = `insert into usage_records (${COLUMNS.map((c) => c.into?.column ?? c.name).join(', ')})
select ${COLUMNS.map((c) => c.into?.expr ?? c.name).join(', ')}
from (
  select ${COLUMNS.map((c, i) => `unnest($${i + 1}::${c.type}[]) as ${c.name}`).join(',\n    ')}
) as batch
on conflict (request_id) do nothing`;

/** The statement, named for the pg driver (prepared once per connection). */
export const USAGE_INSERT_STATEMENT = Object.freeze({ name: 'hubpo_usage_insert_v1', text: INSERT_TEXT });

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/** A text element of an array literal: double-quoted, with `"` and `\` escaped. */
function quoted(value: unknown): string {
  // A missing string would otherwise join as '' and be stored as such; a NOT NULL column refuses it.
  if (typeof value !== 'string') {
    throw new HubpoError('BAD_REQUEST', `a usage record's text field is ${typeof value}, not a string`);
  }
  return `"${NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, '\\$&') : value}"`;
}

/** One array element of `column`'s type. */
function element(column: Column, value: string | number | boolean): string | number {
  if (column.type === 'text') return quoted(value);
  if (column.type === 'bool') return value === true ? 't' : 'f';
  return value as number;
}

/**
 * The statement's 24 parameters for `items` (at least one): each column as a Postgres array
 * literal. Text elements are always double-quoted (so '', 'NULL', spaces, commas and braces stay
 * data), with `"` and `\` escaped. Times are cut to whole milliseconds first; counts are written
 * as JS prints them, so one that is not an integer (or too big for its column) is refused by
 * Postgres with the whole batch, as with one parameter per value.
 */
export function usageInsertValues(items: readonly ClusterUsage[]): string[] {
  return COLUMNS.map((column) => {
    const elements = new Array<string | number>(items.length);
    for (let i = 0; i < items.length; i++) elements[i] = element(column, column.value(items[i]!));
    return `{${elements.join(',')}}`;
  });
}
