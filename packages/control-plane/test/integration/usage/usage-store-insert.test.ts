import { HubpoError } from '@hubpo/core';
import type { UsageRecord } from '@hubpo/snapshot';
import { startPostgres } from '@hubpo/testkit';
import type { PostgresProcess } from '@hubpo/testkit';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../../../src/store/database.js';
import type { Database, DatabaseHandle, Db } from '../../../src/store/database.js';
import { migrate } from '../../../src/store/migrations.js';
import { UsageStore } from '../../../src/usage/usage-store.js';
import { usageRecord } from './usage-fixtures.js';

jest.setTimeout(60_000);

/*
 * UsageStore.insert against real Postgres: what a batch stores, column by column, and how many
 * rows it reports. The store runs its statement as a named prepared statement when the Db comes
 * from openDatabase and unnamed through kysely otherwise (a transaction, a Kysely made elsewhere):
 * both paths run the same cases. Sessions use a time zone that is not UTC (and not a whole hour)
 * so that times cannot depend on it.
 */

const MAX_UINT32 = 4_294_967_295;

/** Records that exercise every column, fresh every call. */
function variedRecords(): UsageRecord[] {
  return [
    usageRecord({ requestId: 'plain' }),
    usageRecord({
      requestId: 'big-and-flags',
      startedAtUnixMs: Date.UTC(2026, 4, 17, 23, 59, 59, 999),
      finishedAtUnixMs: Date.UTC(2026, 4, 18, 0, 0, 1, 1),
      inputTokens: MAX_UINT32,
      cachedInputTokens: MAX_UINT32 - 1,
      cacheWriteTokens: 2_147_483_648,
      reasoningTokens: 1,
      outputTokens: MAX_UINT32,
      estimated: true,
      costMicros: Number.MAX_SAFE_INTEGER,
      latencyMs: MAX_UINT32,
      timeToFirstTokenMs: 0,
      stream: true,
      aborted: true,
    }),
    usageRecord({
      requestId: 'unpriced-failed',
      costMicros: 0,
      currency: '',
      unpriced: true,
      statusCode: 504,
      errorCode: 'HUBPO_ERR_UPSTREAM_TIMEOUT',
      inputTokens: 0,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      outputTokens: 0,
    }),
    usageRecord({
      requestId: 'odd "text", {braces} \\ and NULL',
      consumer: 'NULL',
      route: ' spaced , route ',
      model: 'モデル-é-😀',
      provider: 'a"b',
      target: 'back\\slash',
      errorCode: '{}',
      currency: 'EUR',
      costMicros: -5,
    }),
    usageRecord({ requestId: 'epoch', startedAtUnixMs: 0, finishedAtUnixMs: 1 }),
    usageRecord({ requestId: 'before-epoch', startedAtUnixMs: -1, finishedAtUnixMs: -86_400_001 }),
    usageRecord({
      requestId: 'far-future',
      startedAtUnixMs: Date.UTC(2100, 0, 1, 0, 0, 0, 7),
      finishedAtUnixMs: Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    }),
  ];
}

interface RawRow {
  readonly [column: string]: string | boolean;
}

/** A timestamptz as Postgres stores it, to the microsecond (UTC). */
const UTC_US = `'YYYY-MM-DD"T"HH24:MI:SS.US'`;
const RAW_SELECT = `
  select request_id, cluster,
    to_char(started_at at time zone 'UTC', ${UTC_US}) as started_at,
    to_char(finished_at at time zone 'UTC', ${UTC_US}) as finished_at,
    consumer, route, model, provider, target,
    input_tokens::text, cached_input_tokens::text, cache_write_tokens::text,
    reasoning_tokens::text, output_tokens::text, estimated, cost_micros::text, currency,
    latency_ms::text, time_to_first_token_ms::text, status_code::text, error_code, stream, aborted,
    unpriced
  from usage_records order by request_id`;

/** What the row of `r` must hold, derived from the record alone (not through the store). */
function expectedRow(cluster: string, r: UsageRecord): RawRow {
  const time = (ms: number) => `${new Date(ms).toISOString().slice(0, 23)}000`;
  return {
    request_id: r.requestId,
    cluster,
    started_at: time(r.startedAtUnixMs),
    finished_at: time(r.finishedAtUnixMs),
    consumer: r.consumer,
    route: r.route,
    model: r.model,
    provider: r.provider,
    target: r.target,
    input_tokens: String(r.inputTokens),
    cached_input_tokens: String(r.cachedInputTokens),
    cache_write_tokens: String(r.cacheWriteTokens),
    reasoning_tokens: String(r.reasoningTokens),
    output_tokens: String(r.outputTokens),
    estimated: r.estimated,
    cost_micros: String(r.costMicros),
    currency: r.currency,
    latency_ms: String(r.latencyMs),
    time_to_first_token_ms: String(r.timeToFirstTokenMs),
    status_code: String(r.statusCode),
    error_code: r.errorCode,
    stream: r.stream,
    aborted: r.aborted,
    unpriced: r.unpriced,
  };
}

const byRequestId = <T extends { readonly requestId: string }>(a: T, b: T) =>
  a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0;

const withTimeZone = (url: string) => `${url}?options=${encodeURIComponent('-c TimeZone=Asia/Kolkata')}`;

describe('UsageStore.insert', () => {
  let postgres: PostgresProcess;

  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(() => postgres.stop());

  /** The two ways a store reaches Postgres, over the same fresh database. */
  const paths: [string, (handle: DatabaseHandle, url: string) => { db: Db; close(): Promise<void> }][] = [
    ['named prepared statement (openDatabase)', (handle) => ({ db: handle.db, close: async () => {} })],
    [
      'unnamed through kysely (another Kysely)',
      (_handle, url) => {
        const db = new Kysely<Database>({
          dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
        });
        return { db, close: () => db.destroy() };
      },
    ],
  ];

  describe.each(paths)('%s', (_name, makeDb) => {
    let handle: DatabaseHandle;
    let store: UsageStore;
    let closeDb: () => Promise<void>;
    const raw = async (): Promise<RawRow[]> => (await handle.pool.query<RawRow>(RAW_SELECT)).rows;
    const count = async (): Promise<number> =>
      Number((await handle.pool.query<{ n: string }>('select count(*) as n from usage_records')).rows[0]!.n);

    beforeEach(async () => {
      const url = withTimeZone(await postgres.createDatabase());
      handle = openDatabase(url, () => undefined, 2);
      await migrate(handle.db);
      const made = makeDb(handle, url);
      store = new UsageStore(made.db);
      closeDb = made.close;
    });
    afterEach(async () => {
      await closeDb();
      await handle.close();
    });

    it('runs its sessions in a time zone other than UTC', async () => {
      const rows = (await handle.pool.query<{ tz: string }>(`select current_setting('TimeZone') as tz`)).rows;
      expect(rows[0]!.tz).toBe('Asia/Kolkata');
    });

    it('stores every column of every record as sent', async () => {
      const records = variedRecords();
      const before = Date.now();
      expect(await store.insert(records.map((record) => ({ cluster: 'eu-west', record })))).toBe(
        records.length,
      );
      const after = Date.now();

      const expected = records
        .map((r) => expectedRow('eu-west', r))
        .sort((a, b) => (a['request_id']! < b['request_id']! ? -1 : 1));
      expect(await raw()).toEqual(expected);

      // Read back through the store's own API: the same records, and received_at set by Postgres.
      const { items } = await store.list({}, 100);
      expect(items.map((i) => i.record).sort(byRequestId)).toEqual([...records].sort(byRequestId));
      for (const item of items) {
        expect(item.cluster).toBe('eu-west');
        expect(item.receivedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(item.receivedAt.getTime()).toBeLessThanOrEqual(after + 1000);
      }
    });

    it('keeps the cluster of each record in a batch that mixes clusters', async () => {
      const records = [usageRecord(), usageRecord(), usageRecord()];
      const clusters = ['eu-west', 'us-east', 'eu-west'];
      expect(await store.insert(records.map((record, i) => ({ cluster: clusters[i]!, record })))).toBe(3);
      const rows = await handle.pool.query<{ request_id: string; cluster: string }>(
        'select request_id, cluster from usage_records',
      );
      const stored = new Map(rows.rows.map((r) => [r.request_id, r.cluster]));
      expect(records.map((r) => stored.get(r.requestId))).toEqual(clusters);
    });

    it('returns 0 for an empty batch and stores nothing', async () => {
      expect(await store.insert([])).toBe(0);
      expect(await count()).toBe(0);
    });

    it('skips a request id repeated within one batch (the first one wins) and counts only new rows', async () => {
      const first = usageRecord({ requestId: 'dup', inputTokens: 1, consumer: 'first' });
      const again = usageRecord({ requestId: 'dup', inputTokens: 2, consumer: 'again' });
      const other = usageRecord();
      const n = await store.insert([first, other, again, first].map((record) => ({ cluster: 'c1', record })));
      expect(n).toBe(2);
      expect(await count()).toBe(2);
      const rows = await raw();
      expect(rows.find((r) => r['request_id'] === 'dup')).toEqual(expectedRow('c1', first));
    });

    it('skips request ids stored by an earlier batch, whatever they carry now', async () => {
      const stored = [usageRecord(), usageRecord(), usageRecord()];
      expect(await store.insert(stored.map((record) => ({ cluster: 'c1', record })))).toBe(3);
      const changed = usageRecord({ requestId: stored[1]!.requestId, outputTokens: 999, consumer: 'other' });
      const fresh = [usageRecord(), usageRecord()];
      const n = await store.insert(
        [stored[0]!, changed, fresh[0]!, stored[2]!, fresh[1]!].map((record) => ({ cluster: 'c2', record })),
      );
      expect(n).toBe(2);
      expect(await store.insert(stored.map((record) => ({ cluster: 'c1', record })))).toBe(0);
      const rows = await raw();
      expect(rows).toHaveLength(5);
      expect(rows).toEqual(
        expect.arrayContaining([
          ...stored.map((r) => expectedRow('c1', r)),
          ...fresh.map((r) => expectedRow('c2', r)),
        ]),
      );
    });

    it('stores a batch of 1,000 records (the most a gateway sends) in one call, once', async () => {
      const records = Array.from({ length: 1000 }, (_, i) =>
        usageRecord({
          requestId: `bulk-${String(i).padStart(4, '0')}`,
          inputTokens: i,
          costMicros: i * 1000,
        }),
      );
      const items = records.map((record) => ({ cluster: 'eu-west', record }));
      expect(await store.insert(items)).toBe(1000);
      expect(await store.insert(items)).toBe(0);
      const sums = await handle.pool.query<{
        n: string;
        input: string;
        cost: string;
        first: string;
        last: string;
      }>(
        `select count(*) as n, sum(input_tokens)::text as input, sum(cost_micros)::text as cost,
           min(request_id) as first, max(request_id) as last from usage_records`,
      );
      expect(sums.rows[0]).toEqual({
        n: '1000',
        input: String((999 * 1000) / 2),
        cost: String(((999 * 1000) / 2) * 1000),
        first: 'bulk-0000',
        last: 'bulk-0999',
      });
      expect((await raw())[500]).toEqual(expectedRow('eu-west', records[500]!));
    });

    it('refuses a whole batch with a value a column cannot hold, storing none of it', async () => {
      const good = usageRecord();
      await expect(
        store.insert([good, usageRecord({ inputTokens: 1.5 })].map((record) => ({ cluster: 'c', record }))),
      ).rejects.toThrow(/bigint/);
      await expect(
        store.insert(
          [good, usageRecord({ statusCode: 2 ** 31 })].map((record) => ({ cluster: 'c', record })),
        ),
      ).rejects.toThrow(/out of range/);
      await expect(
        store.insert(
          [good, usageRecord({ startedAtUnixMs: Number.NaN })].map((record) => ({ cluster: 'c', record })),
        ),
      ).rejects.toThrow(/bigint/);
      expect(await count()).toBe(0);
      expect(await store.insert([{ cluster: 'c', record: good }])).toBe(1);
    });

    it('refuses a record whose text field is missing instead of storing an empty string', async () => {
      const broken = { ...usageRecord(), model: undefined } as unknown as UsageRecord;
      const error = await store.insert([{ cluster: 'c', record: broken }]).catch((e: unknown) => e);
      expect(HubpoError.is(error, 'BAD_REQUEST')).toBe(true);
      expect(await count()).toBe(0);
    });

    it('stores times to the microsecond over the whole range of a Date that Postgres can hold', async () => {
      // From 4685 BC to the last millisecond a Date can hold (year 275760), edges and random.
      const edges = [-2.1e14, -62_135_596_800_001, -1, 0, 1, 7.2e13, 253_402_300_799_999, 8.64e15];
      let seed = 7;
      const random = () => {
        seed = (seed * 48_271) % 2_147_483_647;
        return seed / 2_147_483_647;
      };
      const times = [
        ...edges,
        ...Array.from({ length: 300 }, () => Math.round(-2.1e14 + random() * 8.85e15)),
      ];
      const records = times.map((ms, i) =>
        usageRecord({ requestId: `t-${i}`, startedAtUnixMs: ms, finishedAtUnixMs: ms - 1 }),
      );
      expect(await store.insert(records.map((record) => ({ cluster: 'c', record })))).toBe(times.length);
      const rows = await handle.pool.query<{ request_id: string; started: string; finished: string }>(
        `select request_id,
           (extract(epoch from started_at) * 1000000)::bigint::text as started,
           (extract(epoch from finished_at) * 1000000)::bigint::text as finished
         from usage_records`,
      );
      const stored = new Map(rows.rows.map((r) => [r.request_id, [r.started, r.finished]]));
      const micros = (ms: number) => String(BigInt(ms) * 1000n);
      expect(records.map((r) => stored.get(r.requestId))).toEqual(
        times.map((ms) => [micros(ms), micros(ms - 1)]),
      );
    });

    it('truncates a fractional millisecond as a Date does', async () => {
      const record = usageRecord({ startedAtUnixMs: 1_767_225_600_123.9, finishedAtUnixMs: -0.5 });
      expect(await store.insert([{ cluster: 'c', record }])).toBe(1);
      const row = (await raw())[0]!;
      expect(row['started_at']).toBe('2026-01-01T00:00:00.123000');
      expect(row['finished_at']).toBe('1970-01-01T00:00:00.000000');
    });
  });

  it('inserts inside a transaction it is given, and a rollback takes the rows back', async () => {
    const handle = openDatabase(await postgres.createDatabase(), () => undefined, 2);
    try {
      await migrate(handle.db);
      const record = usageRecord();
      await expect(
        handle.db.transaction().execute(async (trx) => {
          expect(await new UsageStore(trx).insert([{ cluster: 'c', record }])).toBe(1);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await new UsageStore(handle.db).list({}, 10)).toEqual({ items: [] });
      await handle.db.transaction().execute(async (trx) => {
        expect(await new UsageStore(trx).insert([{ cluster: 'c', record }])).toBe(1);
      });
      expect((await new UsageStore(handle.db).list({}, 10)).items.map((i) => i.record)).toEqual([record]);
    } finally {
      await handle.close();
    }
  });

  it('recovers on the same connection once a missing table is back (prepared before and after)', async () => {
    // One connection, so every insert reuses (or re-prepares) the statement on it.
    const handle = openDatabase(await postgres.createDatabase(), () => undefined, 1);
    try {
      await migrate(handle.db);
      const store = new UsageStore(handle.db);
      const one = () => [{ cluster: 'c', record: usageRecord() }];

      // The table is away before the statement was ever prepared on the connection...
      await handle.pool.query('alter table usage_records rename to usage_records_away');
      await expect(store.insert(one())).rejects.toThrow(/usage_records/);
      await handle.pool.query('alter table usage_records_away rename to usage_records');
      expect(await store.insert(one())).toBe(1);

      // ...and after it was prepared.
      await handle.pool.query('alter table usage_records rename to usage_records_away');
      await expect(store.insert(one())).rejects.toThrow(/usage_records/);
      await handle.pool.query('alter table usage_records_away rename to usage_records');
      expect(await store.insert(one())).toBe(1);
      expect(await store.insert(one())).toBe(1);
      // It is a prepared statement of the connection (not parsed again for every batch).
      const prepared = await handle.pool.query<{ name: string }>('select name from pg_prepared_statements');
      expect(prepared.rows.map((r) => r.name)).toEqual(['hubpo_usage_insert_v1']);
    } finally {
      await handle.close();
    }
  });
});
