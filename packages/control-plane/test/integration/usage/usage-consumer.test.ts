import { USAGE_STREAM } from '@hubpo/snapshot';
import { startNats, startPostgres } from '@hubpo/testkit';
import type { NatsProcess, PostgresProcess } from '@hubpo/testkit';
import { connect } from 'nats';
import { createLogger } from '../../../src/logger.js';
import { openDatabase } from '../../../src/store/database.js';
import type { DatabaseHandle } from '../../../src/store/database.js';
import { migrate } from '../../../src/store/migrations.js';
import { UsageConsumer } from '../../../src/usage/usage-consumer.js';
import type { UsageConsumerOptions } from '../../../src/usage/usage-consumer.js';
import { DEFAULT_USAGE_STREAM_SETTINGS } from '../../../src/usage/usage-stream.js';
import { UsageStore } from '../../../src/usage/usage-store.js';
import { TestPublisher, usageRecord, waitUntil } from './usage-fixtures.js';

jest.setTimeout(60_000);

describe('UsageConsumer: HUBPO_USAGE to Postgres, exactly once', () => {
  let postgres: PostgresProcess;
  let nats: NatsProcess;
  let handle: DatabaseHandle;
  let store: UsageStore;
  let publisher: TestPublisher;
  const consumers: UsageConsumer[] = [];
  const logger = createLogger('silent');

  const consumer = (options: Partial<UsageConsumerOptions> = {}): UsageConsumer => {
    const c = new UsageConsumer({
      url: nats.url,
      store,
      logger,
      retryMinMs: 20,
      retryMaxMs: 200,
      settings: { ackWaitMs: 1_000 },
      ...options,
    });
    consumers.push(c);
    return c;
  };
  const count = async (): Promise<number> =>
    Number((await handle.pool.query<{ n: string }>('select count(*) as n from usage_records')).rows[0]?.n);

  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(() => postgres.stop());

  beforeEach(async () => {
    nats = await startNats();
    handle = openDatabase(await postgres.createDatabase(), () => undefined);
    await migrate(handle.db);
    store = new UsageStore(handle.db);
    publisher = await TestPublisher.connect(nats.url);
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await publisher.close();
    await handle.close();
    await nats.stop();
  });

  it('creates the stream with a duplicate window and stores every record once', async () => {
    const c = consumer();
    await c.start();
    const records = Array.from({ length: 50 }, () => usageRecord());
    for (const r of records) await publisher.publish(r);
    // The same 10 records again with the same Nats-Msg-Id: JetStream drops them...
    for (const r of records.slice(0, 10)) await publisher.publish(r);
    // ...and 5 with another id (a re-publish after the window): the insert ignores them.
    for (const r of records.slice(10, 15)) await publisher.publish(r, 'eu-west', `${r.requestId}-again`);
    await waitUntil(() => c.stats().stored + c.stats().duplicates === 55, 15_000, '55 deliveries');
    expect(await count()).toBe(50);
    expect(c.stats()).toMatchObject({ stored: 50, duplicates: 5, invalid: 0 });

    const nc = await connect({ servers: nats.url });
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(USAGE_STREAM);
    expect(info.config.duplicate_window).toBe(DEFAULT_USAGE_STREAM_SETTINGS.duplicateWindowMs * 1e6);
    expect(info.config.subjects).toEqual(['hubpo.usage.>']);
    expect(info.state.messages).toBe(55);
    await nc.close();

    const page = await store.list({}, 100);
    const stored = page.items.find((s) => s.record.requestId === records[0]!.requestId);
    expect(stored).toMatchObject({ cluster: 'eu-west', record: records[0] });
  });

  it('a consumer that dies after the commit but before the ack: the redelivery is not stored twice', async () => {
    // The first consumer commits and never acknowledges, as if it crashed right after the insert.
    const crashing = consumer({ acknowledge: () => undefined });
    await crashing.start();
    const records = Array.from({ length: 20 }, () => usageRecord());
    for (const r of records) await publisher.publish(r);
    await waitUntil(async () => (await count()) === 20, 15_000, '20 rows');
    await crashing.stop();

    const restarted = consumer();
    await restarted.start();
    // ack_wait (1 s) passes, the 20 records come again, the insert ignores them, and they are acked.
    await waitUntil(() => restarted.stats().duplicates === 20, 15_000, 'the redelivery');
    expect(restarted.stats().stored).toBe(0);
    expect(await count()).toBe(20);
    const nc = await connect({ servers: nats.url });
    const jsm = await nc.jetstreamManager();
    await waitUntil(async () => {
      const info = await jsm.consumers.info(USAGE_STREAM, DEFAULT_USAGE_STREAM_SETTINGS.durable);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
    await nc.close();
  });

  it('loses nothing when NATS restarts in the middle of the traffic', async () => {
    const c = consumer();
    await c.start();
    const records = Array.from({ length: 300 }, () => usageRecord());
    for (let i = 0; i < records.length; i++) {
      if (i === 100) await nats.kill();
      if (i === 100) setTimeout(() => void nats.restart(), 300);
      await publisher.publish(records[i]!);
    }
    await waitUntil(async () => (await count()) === 300, 30_000, '300 rows');
    const ids = (await store.list({}, 1000)).items.map((s) => s.record.requestId).sort();
    expect(ids).toEqual(records.map((r) => r.requestId).sort());
  });

  it('redelivers a batch the database refused, and stores it once the database takes it', async () => {
    await handle.pool.query('alter table usage_records rename to usage_records_away');
    const c = consumer();
    await c.start();
    const records = Array.from({ length: 5 }, () => usageRecord());
    for (const r of records) await publisher.publish(r);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(c.stats().stored).toBe(0);
    await handle.pool.query('alter table usage_records_away rename to usage_records');
    await waitUntil(async () => (await count()) === 5, 15_000, '5 rows');
    expect(c.stats()).toMatchObject({ stored: 5, duplicates: 0 });
  });

  it('terminates messages that are not usage records instead of redelivering them forever', async () => {
    const c = consumer();
    await c.start();
    await publisher.publish(usageRecord()); // retries until the consumer created the stream
    await publisher.publishRaw(new Uint8Array([0xff, 0xff, 0xff]));
    await publisher.publish(usageRecord({ requestId: '' }), 'eu-west', 'no-request-id');
    await waitUntil(() => c.stats().stored === 1 && c.stats().invalid === 2, 15_000, 'the good record');
    expect(await count()).toBe(1);
  });
});
