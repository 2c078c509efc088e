import { JetStreamUsageSink } from '@hubpo/gateway';
import type { JetStreamUsageSinkOptions } from '@hubpo/gateway';
import { USAGE_STREAM } from '@hubpo/snapshot';
import { createTelemetry } from '@hubpo/telemetry';
import { startNats } from '@hubpo/testkit';
import type { NatsProcess } from '@hubpo/testkit';
import type { JetStreamManager, NatsConnection } from 'nats';
import {
  createUsageStream,
  eventually,
  openNats,
  readUsageStream,
  scrape,
  silentLogger,
  usageRecord,
} from './usage-stream-fixtures.js';

jest.setTimeout(30_000);

describe('JetStreamUsageSink', () => {
  let nats: NatsProcess;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const sinks: JetStreamUsageSink[] = [];

  const sink = (options: Partial<JetStreamUsageSinkOptions> = {}): JetStreamUsageSink => {
    const s = new JetStreamUsageSink({
      servers: nats.url,
      cluster: 'eu-west',
      logger: silentLogger,
      publishTimeoutMs: 1_000,
      retryInitialMs: 20,
      retryMaxMs: 200,
      connection: { reconnectTimeWait: 50 },
      ...options,
    });
    sinks.push(s);
    return s;
  };

  beforeEach(async () => {
    nats = await startNats();
    ({ nc, jsm } = await openNats(nats.url));
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.stop(0)));
    await nc.close();
    await nats.stop();
  });

  it('publishes each record protobuf-encoded to hubpo.usage.<cluster> with Nats-Msg-Id = request id', async () => {
    await createUsageStream(jsm);
    const s = sink();
    s.start();
    const records = [
      usageRecord(),
      usageRecord({ aborted: true, statusCode: 499 }),
      usageRecord({ currency: '' }),
    ];
    for (const r of records) s.record(r);
    expect(await s.flush(10_000)).toBe(true);
    const stored = await readUsageStream(nats.url);
    expect(stored).toEqual(
      records.map((record) => ({ cluster: 'eu-west', msgId: record.requestId, record })),
    );
    expect(s.stats()).toMatchObject({ published: 3, duplicates: 0, queued: 0, inFlight: 0 });
  });

  it('stores a record published twice once (JetStream duplicate window)', async () => {
    await createUsageStream(jsm);
    const s = sink();
    s.start();
    const record = usageRecord();
    s.record(record);
    expect(await s.flush(10_000)).toBe(true);
    s.record(record);
    expect(await s.flush(10_000)).toBe(true);
    expect(await readUsageStream(nats.url)).toHaveLength(1);
    expect(s.stats()).toMatchObject({ published: 2, duplicates: 1 });
  });

  it('record() is synchronous and leaves the publishing to a later turn of the event loop', async () => {
    await createUsageStream(jsm);
    const s = sink();
    s.start();
    await eventually(() => s.stats().connected);
    s.record(usageRecord());
    s.record(usageRecord());
    expect(s.stats()).toMatchObject({ queued: 2, inFlight: 0, published: 0 });
    expect(await s.flush(10_000)).toBe(true);
    expect(s.stats().published).toBe(2);
  });

  it('buffers while the stream does not exist yet and publishes everything once it does', async () => {
    const s = sink();
    s.start();
    const records = [usageRecord(), usageRecord(), usageRecord()];
    for (const r of records) s.record(r);
    await eventually(() => s.stats().failures > 0);
    expect(s.stats().queued + s.stats().inFlight).toBe(3);
    await createUsageStream(jsm);
    expect(await s.flush(10_000)).toBe(true);
    const stored = await readUsageStream(nats.url);
    expect(stored.map((m) => m.record.requestId).sort()).toEqual(records.map((r) => r.requestId).sort());
  });

  it('buffers while NATS is down at start and publishes once it is up', async () => {
    await createUsageStream(jsm);
    await nats.kill();
    const s = sink();
    s.start();
    const records = Array.from({ length: 10 }, () => usageRecord());
    for (const r of records) s.record(r);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(s.stats()).toMatchObject({ connected: false, queued: 10, published: 0 });
    await nats.restart();
    expect(await s.flush(15_000)).toBe(true);
    expect(await readUsageStream(nats.url)).toHaveLength(10);
  });

  it('loses nothing across a NATS crash and restart in the middle of the traffic', async () => {
    await createUsageStream(jsm);
    const s = sink();
    s.start();
    const records = Array.from({ length: 600 }, () => usageRecord());
    for (let i = 0; i < records.length; i++) {
      s.record(records[i]!);
      if (i === 200) await nats.kill();
      if (i === 400) await nats.restart();
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await s.flush(20_000)).toBe(true);
    const stored = await readUsageStream(nats.url);
    const ids = stored.map((m) => m.record.requestId);
    expect(new Set(ids).size).toBe(ids.length); // each record once: retries were deduplicated
    expect(ids.sort()).toEqual(records.map((r) => r.requestId).sort());
    expect(s.stats().dropped).toEqual({ queue_full: 0, invalid: 0, shutdown: 0 });
  });

  it('drops the oldest records when the buffer is full, and counts them in a metric', async () => {
    await createUsageStream(jsm);
    await nats.kill();
    const telemetry = createTelemetry({ serviceName: 'usage-test' });
    const s = sink({ maxQueue: 5, meter: telemetry.meter });
    s.start();
    const records = Array.from({ length: 8 }, () => usageRecord());
    for (const r of records) s.record(r);
    expect(s.stats().dropped.queue_full).toBe(3);
    await nats.restart();
    expect(await s.flush(15_000)).toBe(true);
    const stored = await readUsageStream(nats.url);
    expect(stored.map((m) => m.record.requestId)).toEqual(records.slice(3).map((r) => r.requestId));
    const metrics = await scrape(telemetry);
    expect(metrics).toMatch(/hubpo_gateway_usage_dropped_total\{[^}]*reason="queue_full"[^}]*\} 3/);
    expect(metrics).toMatch(/hubpo_gateway_usage_published_total\{[^}]*duplicate="false"[^}]*\} 5/);
    await telemetry.shutdown();
  });

  it('drops (and counts) a record the wire cannot carry instead of throwing on the request path', async () => {
    await createUsageStream(jsm);
    const s = sink();
    s.start();
    expect(() => s.record(usageRecord({ outputTokens: -1 }))).not.toThrow();
    expect(() => s.record(usageRecord({ requestId: '' }))).not.toThrow();
    s.record(usageRecord());
    expect(await s.flush(10_000)).toBe(true);
    expect(s.stats()).toMatchObject({ published: 1, dropped: { invalid: 2 } });
  });

  it('stop() publishes what is buffered, then refuses new records', async () => {
    await createUsageStream(jsm);
    const s = sink();
    s.start();
    for (let i = 0; i < 20; i++) s.record(usageRecord());
    await s.stop(10_000);
    expect(await readUsageStream(nats.url)).toHaveLength(20);
    s.record(usageRecord());
    expect(s.stats().dropped.shutdown).toBe(1);
    expect((await jsm.streams.info(USAGE_STREAM)).state.messages).toBe(20);
  });
});
