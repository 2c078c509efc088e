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

const INSERT_TEXT = `insert into usage_records (
  request_id, cluster, started_at, finished_at, consumer, route, model, provider, target,
  input_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, output_tokens, estimated,
  cost_micros, currency, latency_ms, time_to_first_token_ms, status_code, error_code, stream, aborted,
  unpriced)
select
  request_id, cluster,
  timestamptz 'epoch' + (started_ms / ${MS_PER_HOUR}) * interval '1 hour'
    + (started_ms % ${MS_PER_HOUR}) * interval '1 millisecond',
  timestamptz 'epoch' + (finished_ms / ${MS_PER_HOUR}) * interval '1 hour'
    + (finished_ms % ${MS_PER_HOUR}) * interval '1 millisecond',
  consumer, route, model, provider, target,
  input_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, output_tokens, estimated,
  cost_micros, currency, latency_ms, time_to_first_token_ms, status_code, error_code, stream, aborted,
  unpriced
from (
  select
    unnest($1::text[]) as request_id,
    unnest($2::text[]) as cluster,
    unnest($3::int8[]) as started_ms,
    unnest($4::int8[]) as finished_ms,
    unnest($5::text[]) as consumer,
    unnest($6::text[]) as route,
    unnest($7::text[]) as model,
    unnest($8::text[]) as provider,
    unnest($9::text[]) as target,
    unnest($10::int8[]) as input_tokens,
    unnest($11::int8[]) as cached_input_tokens,
    unnest($12::int8[]) as cache_write_tokens,
    unnest($13::int8[]) as reasoning_tokens,
    unnest($14::int8[]) as output_tokens,
    unnest($15::bool[]) as estimated,
    unnest($16::int8[]) as cost_micros,
    unnest($17::text[]) as currency,
    unnest($18::int8[]) as latency_ms,
    unnest($19::int8[]) as time_to_first_token_ms,
    unnest($20::int4[]) as status_code,
    unnest($21::text[]) as error_code,
    unnest($22::bool[]) as stream,
    unnest($23::bool[]) as aborted,
    unnest($24::bool[]) as unpriced
) as batch
on conflict (request_id) do nothing`;

/** The statement, named for the pg driver (prepared once per connection). */
export const USAGE_INSERT_STATEMENT = Object.freeze({ name: 'hubpo_usage_insert_v1', text: INSERT_TEXT });

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/** A text element's content inside the double quotes of an array literal. */
function quoted(value: string): string {
  // A missing string would otherwise join as '' and be stored as such; a NOT NULL column refuses it.
  if (typeof value !== 'string') {
    throw new HubpoError('BAD_REQUEST', `a usage record's text field is ${typeof value}, not a string`);
  }
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, '\\$&') : value;
}

/** Whole milliseconds, as `new Date(ms)` keeps them (NaN and infinities stay, and Postgres refuses them). */
function wholeMs(ms: number): number {
  return ms % 1 === 0 ? ms : Math.trunc(ms);
}

const textArray = (values: string[]): string => `{"${values.join('","')}"}`;
const plainArray = (values: (number | string)[]): string => `{${values.join(',')}}`;
const flag = (value: boolean): string => (value ? 't' : 'f');

/**
 * The statement's 24 parameters for `items` (at least one), in one pass: each column as a
 * Postgres array literal. Text elements are always double-quoted (so '', 'NULL', spaces, commas
 * and braces stay data), with `"` and `\` escaped. Times are cut to whole milliseconds first;
 * counts are written as JS prints them, so one that is not an integer (or too big for its column)
 * is refused by Postgres with the whole batch, as with one parameter per value.
 */
export function usageInsertValues(items: readonly ClusterUsage[]): string[] {
  const n = items.length;
  const requestId = new Array<string>(n);
  const cluster = new Array<string>(n);
  const startedMs = new Array<number>(n);
  const finishedMs = new Array<number>(n);
  const consumer = new Array<string>(n);
  const route = new Array<string>(n);
  const model = new Array<string>(n);
  const provider = new Array<string>(n);
  const target = new Array<string>(n);
  const input = new Array<number>(n);
  const cachedInput = new Array<number>(n);
  const cacheWrite = new Array<number>(n);
  const reasoning = new Array<number>(n);
  const output = new Array<number>(n);
  const estimated = new Array<string>(n);
  const costMicros = new Array<number>(n);
  const currency = new Array<string>(n);
  const latencyMs = new Array<number>(n);
  const ttftMs = new Array<number>(n);
  const statusCode = new Array<number>(n);
  const errorCode = new Array<string>(n);
  const stream = new Array<string>(n);
  const aborted = new Array<string>(n);
  const unpriced = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const { cluster: c, record: r } = items[i]!;
    requestId[i] = quoted(r.requestId);
    cluster[i] = quoted(c);
    startedMs[i] = wholeMs(r.startedAtUnixMs);
    finishedMs[i] = wholeMs(r.finishedAtUnixMs);
    consumer[i] = quoted(r.consumer);
    route[i] = quoted(r.route);
    model[i] = quoted(r.model);
    provider[i] = quoted(r.provider);
    target[i] = quoted(r.target);
    input[i] = r.inputTokens;
    cachedInput[i] = r.cachedInputTokens;
    cacheWrite[i] = r.cacheWriteTokens;
    reasoning[i] = r.reasoningTokens;
    output[i] = r.outputTokens;
    estimated[i] = flag(r.estimated);
    costMicros[i] = r.costMicros;
    currency[i] = quoted(r.currency);
    latencyMs[i] = r.latencyMs;
    ttftMs[i] = r.timeToFirstTokenMs;
    statusCode[i] = r.statusCode;
    errorCode[i] = quoted(r.errorCode);
    stream[i] = flag(r.stream);
    aborted[i] = flag(r.aborted);
    unpriced[i] = flag(r.unpriced);
  }
  return [
    textArray(requestId),
    textArray(cluster),
    plainArray(startedMs),
    plainArray(finishedMs),
    textArray(consumer),
    textArray(route),
    textArray(model),
    textArray(provider),
    textArray(target),
    plainArray(input),
    plainArray(cachedInput),
    plainArray(cacheWrite),
    plainArray(reasoning),
    plainArray(output),
    plainArray(estimated),
    plainArray(costMicros),
    textArray(currency),
    plainArray(latencyMs),
    plainArray(ttftMs),
    plainArray(statusCode),
    textArray(errorCode),
    plainArray(stream),
    plainArray(aborted),
    plainArray(unpriced),
  ];
}
