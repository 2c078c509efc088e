/*
 * Micro-benchmark of storing usage records: UsageStore.insert against the multi-row
 * `insert ... values (...), (...) on conflict do nothing` that kysely built before (kept here only
 * for the comparison), on a throwaway Postgres from @hubpo/testkit.
 *
 *   node --conditions=hubpo-source --import tsx packages/control-plane/bench/usage-insert.bench.ts
 *
 * BENCH_RECORDS (default 50000), BENCH_BATCHES (default 50,500) and BENCH_ROUNDS (default 3)
 * change the size; BENCH_METHODS (default old,unnamed,named) picks the methods:
 *   old      the previous insert (kysely VALUES list, 24 parameters per record)
 *   unnamed  UsageStore.insert over a Db not made by openDatabase (same statement, unnamed)
 *   named    UsageStore.insert as the control plane runs it (named prepared statement)
 *
 * Each round runs every method once per batch size on an emptied table, one batch at a time on
 * one connection (as one consumer does), after a short warm-up. Records are built, and the
 * garbage of that and of the warm-up collected, before the clock starts. Printed per run:
 * records/s (wall), CPU microseconds per record of this node process (process.cpuUsage: user +
 * system, all threads) and of Postgres (utime + stime of the postmaster and its children from
 * /proc, plus what exited children left in the postmaster's cutime + cstime; 10 ms clock ticks).
 * Then the median of the rounds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { UsageRecord } from '@hubpo/snapshot';
import { startPostgres } from '@hubpo/testkit';
import { openDatabase } from '../src/store/database.js';
import type { Database, Db } from '../src/store/database.js';
import { migrate } from '../src/store/migrations.js';
import { UsageStore } from '../src/usage/usage-store.js';
import { usageDb } from '../src/usage/usage-tables.js';

const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 50_000);
const BATCHES = (process.env['BENCH_BATCHES'] ?? '50,500').split(',').map(Number);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const METHODS = (process.env['BENCH_METHODS'] ?? 'old,unnamed,named').split(',');
const WARMUP_BATCHES = 20;
const CLOCK_TICK_US = 1_000_000 / 100;

// A full collection before each measured run, so the garbage of building its records is not
// collected (and counted) during it.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

interface Item {
  readonly cluster: string;
  readonly record: UsageRecord;
}
type Insert = (items: readonly Item[]) => Promise<number>;

/** The insert as it was before the unnest statement: kysely VALUES rows, one parameter per value. */
async function oldInsert(db: Db, items: readonly Item[]): Promise<number> {
  if (items.length === 0) return 0;
  const result = await usageDb(db)
    .insertInto('usage_records')
    .values(
      items.map(({ cluster, record: r }) => ({
        request_id: r.requestId,
        cluster,
        started_at: new Date(r.startedAtUnixMs),
        finished_at: new Date(r.finishedAtUnixMs),
        consumer: r.consumer,
        route: r.route,
        model: r.model,
        provider: r.provider,
        target: r.target,
        input_tokens: r.inputTokens,
        cached_input_tokens: r.cachedInputTokens,
        cache_write_tokens: r.cacheWriteTokens,
        reasoning_tokens: r.reasoningTokens,
        output_tokens: r.outputTokens,
        estimated: r.estimated,
        cost_micros: r.costMicros,
        currency: r.currency,
        latency_ms: r.latencyMs,
        time_to_first_token_ms: r.timeToFirstTokenMs,
        status_code: r.statusCode,
        error_code: r.errorCode,
        stream: r.stream,
        aborted: r.aborted,
        unpriced: r.unpriced,
      })),
    )
    .onConflict((oc) => oc.column('request_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

const processTag = randomBytes(6).toString('hex');
let sequence = 0;

/** A record like a gateway's: request id as usage-record-id.ts makes it, varied counts and names. */
function record(): UsageRecord {
  sequence++;
  const started = Date.UTC(2026, 0, 1) + sequence * 13;
  return {
    requestId: `${randomUUID()}~${processTag}${sequence.toString(36)}`,
    startedAtUnixMs: started,
    finishedAtUnixMs: started + 300 + (sequence % 4000),
    consumer: `team-${sequence % 40}`,
    route: `ai/chat-${sequence % 8}`,
    model: sequence % 3 === 0 ? 'claude' : 'gpt-4o',
    provider: sequence % 3 === 0 ? 'anthropic' : 'openai',
    target: sequence % 5 === 0 ? 'fallback' : 'primary',
    inputTokens: 200 + (sequence % 3000),
    cachedInputTokens: sequence % 512,
    cacheWriteTokens: sequence % 7 === 0 ? 1024 : 0,
    reasoningTokens: sequence % 64,
    outputTokens: 50 + (sequence % 900),
    estimated: sequence % 50 === 0,
    costMicros: 1000 + sequence * 3,
    currency: 'USD',
    latencyMs: 300 + (sequence % 4000),
    timeToFirstTokenMs: 80 + (sequence % 200),
    statusCode: sequence % 100 === 0 ? 502 : 200,
    errorCode: sequence % 100 === 0 ? 'HUBPO_ERR_PROVIDER' : '',
    stream: sequence % 2 === 0,
    aborted: false,
    unpriced: false,
  };
}

const batchesOf = (size: number, count: number): Item[][] =>
  Array.from({ length: count }, () =>
    Array.from({ length: size }, () => ({ cluster: 'eu-west', record: record() })),
  );

/** CPU clock ticks used so far by the Postgres server listening on `port` and its processes. */
function postgresTicks(port: number): number {
  const procs: { pid: number; ppid: number; own: number; reaped: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after "pid (comm) ": state ppid ... utime(14) stime(15) cutime(16) cstime(17).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        own: Number(fields[11]) + Number(fields[12]),
        reaped: Number(fields[13]) + Number(fields[14]),
        cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8'),
      });
    } catch {
      // The process ended between readdir and read.
    }
  }
  const master = procs.find((p) => p.cmdline.includes(`\0-p\0${port}\0`));
  if (master === undefined) throw new Error(`no postgres process listens on port ${port}`);
  let ticks = master.own + master.reaped;
  for (const p of procs) if (p.ppid === master.pid) ticks += p.own;
  return ticks;
}

interface Result {
  readonly recordsPerSecond: number;
  readonly nodeUs: number;
  readonly postgresUs: number;
}

async function measure(insert: Insert, size: number, pool: pg.Pool, port: number): Promise<Result> {
  await pool.query('truncate usage_records');
  await pool.query('checkpoint');
  for (const batch of batchesOf(size, WARMUP_BATCHES)) await insert(batch);
  const batches = batchesOf(size, Math.ceil(RECORDS / size));
  const total = batches.length * size;
  collectGarbage();
  const ticks0 = postgresTicks(port);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let stored = 0;
  for (const batch of batches) stored += await insert(batch);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const ticks = postgresTicks(port) - ticks0;
  if (stored !== total) throw new Error(`stored ${stored} of ${total} records`);
  return {
    recordsPerSecond: (total / wallMs) * 1000,
    nodeUs: (cpu.user + cpu.system) / total,
    postgresUs: (ticks * CLOCK_TICK_US) / total,
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function line(method: string, size: number, label: string, r: Result): string {
  return [
    method.padEnd(8),
    `batch ${String(size).padStart(4)}`,
    label.padEnd(8),
    `${Math.round(r.recordsPerSecond).toString().padStart(7)} records/s`,
    `node ${r.nodeUs.toFixed(1).padStart(6)} µs/record`,
    `postgres ${r.postgresUs.toFixed(1).padStart(6)} µs/record`,
    `total ${(r.nodeUs + r.postgresUs).toFixed(1).padStart(6)} µs/record`,
  ].join('  ');
}

async function main(): Promise<void> {
  const postgres = await startPostgres();
  const url = await postgres.createDatabase();
  const handle = openDatabase(url, () => undefined, 1);
  // A Kysely not made by openDatabase: the store falls back to the unnamed statement.
  const plain = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
  });
  try {
    await migrate(handle.db);
    const methods: Record<string, Insert> = {
      old: (items) => oldInsert(handle.db, items),
      unnamed: (items) => new UsageStore(plain).insert(items),
      named: (items) => new UsageStore(handle.db).insert(items),
    };
    const unknown = METHODS.filter((m) => methods[m] === undefined);
    if (unknown.length > 0) throw new Error(`unknown BENCH_METHODS: ${unknown.join(', ')}`);
    console.log(
      `usage insert: ${RECORDS} records per run, batches of ${BATCHES.join(' and ')}, ${ROUNDS} rounds, ` +
        `node ${process.version}, Postgres on port ${postgres.port}`,
    );
    const results = new Map<string, Result[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const size of BATCHES) {
        for (const method of METHODS) {
          const r = await measure(methods[method]!, size, handle.pool, postgres.port);
          results.set(`${method} ${size}`, [...(results.get(`${method} ${size}`) ?? []), r]);
          console.log(line(method, size, `round ${round}`, r));
        }
      }
    }
    console.log('\nmedian of the rounds:');
    for (const size of BATCHES) {
      for (const method of METHODS) {
        const runs = results.get(`${method} ${size}`)!;
        const r = {
          recordsPerSecond: median(runs.map((x) => x.recordsPerSecond)),
          nodeUs: median(runs.map((x) => x.nodeUs)),
          postgresUs: median(runs.map((x) => x.postgresUs)),
        };
        console.log(line(method, size, 'median', r));
      }
    }
  } finally {
    await plain.destroy();
    await handle.close();
    await postgres.stop();
  }
}

await main();
