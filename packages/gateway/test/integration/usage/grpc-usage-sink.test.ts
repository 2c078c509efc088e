import { Writable } from 'node:stream';
import { Server, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { loadUsageReporting } from '@hubpo/snapshot';
import type { UsageAck, UsageBatch, UsageRecord } from '@hubpo/snapshot';
import { createTelemetry } from '@hubpo/telemetry';
import { getFreePort } from '@hubpo/testkit';
import { pino } from 'pino';
import { GrpcUsageSink, createUsageSink, loadGatewayConfig, loadUsageSinkConfig } from '@hubpo/gateway';
import { readFile } from 'node:fs/promises';
import { createTestPki } from '@hubpo/testkit';
import type { GrpcUsageSinkOptions } from '@hubpo/gateway';
import { scrape, silentLogger, usageRecord } from './usage-stream-fixtures.js';

type ReportCall = ServerDuplexStream<UsageBatch, UsageAck>;

/**
 * The control plane's end of `UsageReporting`, played by the test: stores by request id (a resent
 * record is a duplicate, as in Postgres), and can refuse the next batches, or store one and break
 * the stream before its ACK (an ACK lost on the way).
 */
class FakeUsageServer {
  readonly stored = new Map<string, { cluster: string; record: UsageRecord }>();
  readonly batches: UsageBatch[] = [];
  refuseNext = 0;
  loseNextAck = 0;
  /** Batches stored but never answered (the stream stays open). */
  swallowNext = 0;
  #server: Server | undefined;

  constructor(
    readonly port: number,
    readonly credentials: ServerCredentials = ServerCredentials.createInsecure(),
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = new Server();
    const { service } = loadUsageReporting();
    server.addService(service, { report: (call: ReportCall) => this.#serve(call) });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(this.address, this.credentials, (err) => (err === null ? resolve() : reject(err))),
    );
    this.#server = server;
  }

  stop(): void {
    this.#server?.forceShutdown();
    this.#server = undefined;
  }

  #serve(call: ReportCall): void {
    call.on('data', (batch: UsageBatch) => {
      this.batches.push(batch);
      if (this.refuseNext > 0) {
        this.refuseNext--;
        call.write({ batchId: batch.batchId, stored: 0, duplicates: 0, invalid: 0, error: 'database down' });
        return;
      }
      let stored = 0;
      for (const record of batch.records) {
        if (this.stored.has(record.requestId)) continue;
        this.stored.set(record.requestId, { cluster: batch.cluster, record });
        stored++;
      }
      if (this.swallowNext > 0) {
        this.swallowNext--;
        return;
      }
      if (this.loseNextAck > 0) {
        this.loseNextAck--;
        call.emit('error', { code: GrpcStatus.UNAVAILABLE, details: 'gone before the ACK' });
        return;
      }
      const duplicates = batch.records.length - stored;
      call.write({ batchId: batch.batchId, stored, duplicates, invalid: 0, error: '' });
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  }
}

class LogLines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n'))
      if (line.trim() !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
}

describe('GrpcUsageSink', () => {
  const sinks: GrpcUsageSink[] = [];
  const servers: FakeUsageServer[] = [];

  const server = async (start = true): Promise<FakeUsageServer> => {
    const s = new FakeUsageServer(await getFreePort());
    servers.push(s);
    if (start) await s.start();
    return s;
  };
  const sink = (target: string, options: Partial<GrpcUsageSinkOptions> = {}): GrpcUsageSink => {
    const s = new GrpcUsageSink({
      target,
      cluster: 'eu-west',
      nodeId: 'gw-1',
      logger: silentLogger,
      retryInitialMs: 20,
      retryMaxMs: 100,
      ...options,
    });
    s.start();
    sinks.push(s);
    return s;
  };

  afterEach(async () => {
    for (const s of sinks.splice(0)) await s.stop(200);
    for (const s of servers.splice(0)) s.stop();
  });

  it('reports records in batches with the cluster and node, each ACKed once stored', async () => {
    const cp = await server();
    const s = sink(cp.address, { maxBatch: 4 });
    const records = Array.from({ length: 10 }, () => usageRecord());
    for (const r of records) s.record(r);
    expect(await s.flush(5_000)).toBe(true);
    expect([...cp.stored.keys()].sort()).toEqual(records.map((r) => r.requestId).sort());
    expect(cp.stored.get(records[0]!.requestId)).toEqual({ cluster: 'eu-west', record: records[0] });
    expect(cp.batches.every((b) => b.records.length <= 4 && b.nodeId === 'gw-1')).toBe(true);
    expect(s.stats()).toMatchObject({
      published: 10,
      duplicates: 0,
      queued: 0,
      inFlight: 0,
      connected: true,
    });
  });

  it('lets records linger so a burst goes out as one batch, without waiting for a flush', async () => {
    const cp = await server();
    const s = sink(cp.address, { lingerMs: 100 });
    const records = Array.from({ length: 30 }, () => usageRecord());
    for (const r of records.slice(0, 10)) s.record(r);
    await new Promise((r) => setTimeout(r, 30)); // within the linger: more records join
    for (const r of records.slice(10)) s.record(r);
    await waitUntil(() => cp.stored.size === 30, 'every record stored after the linger');
    expect(cp.batches).toHaveLength(1);
    expect(cp.batches[0]!.records).toHaveLength(30);
  });

  it('sends a full batch at once, whatever the linger', async () => {
    const cp = await server();
    const s = sink(cp.address, { lingerMs: 60_000, maxBatch: 5 });
    const records = Array.from({ length: 5 }, () => usageRecord());
    for (const r of records) s.record(r);
    await waitUntil(() => cp.stored.size === 5, 'the full batch stored long before the linger ends');
    expect(cp.batches.map((b) => b.records.length)).toEqual([5]);
  });

  it('buffers while the control plane is unreachable and delivers everything once it is up', async () => {
    const cp = await server(false);
    const s = sink(cp.address);
    const records = Array.from({ length: 20 }, () => usageRecord());
    for (const r of records) s.record(r);
    await waitUntil(() => s.stats().failures > 0, 'a failed attempt');
    expect(s.stats().queued + s.stats().inFlight).toBe(20);
    await cp.start();
    expect(await s.flush(10_000)).toBe(true);
    expect(cp.stored.size).toBe(20);
    expect(s.stats()).toMatchObject({ published: 20, dropped: { queue_full: 0, invalid: 0, shutdown: 0 } });
  });

  it('resends a batch the control plane refused, until it is stored', async () => {
    const cp = await server();
    cp.refuseNext = 2;
    const s = sink(cp.address);
    const records = [usageRecord(), usageRecord()];
    for (const r of records) s.record(r);
    expect(await s.flush(5_000)).toBe(true);
    expect(cp.stored.size).toBe(2);
    expect(cp.batches.length).toBeGreaterThanOrEqual(3);
    expect(s.stats()).toMatchObject({ published: 2, failures: 2 });
  });

  it('resends a batch whose ACK was lost with the stream; the store sees a duplicate, not a second record', async () => {
    const cp = await server();
    cp.loseNextAck = 1;
    const s = sink(cp.address);
    const records = [usageRecord(), usageRecord(), usageRecord()];
    for (const r of records) s.record(r);
    expect(await s.flush(5_000)).toBe(true);
    expect(cp.stored.size).toBe(3);
    expect(s.stats()).toMatchObject({ published: 3, duplicates: 3 });
    expect(s.stats().failures).toBeGreaterThanOrEqual(1);
  });

  it('gives up on a stream whose ACK does not come in time, and resends on a new one', async () => {
    const cp = await server();
    cp.swallowNext = 1;
    const s = sink(cp.address, { ackTimeoutMs: 100 });
    const records = [usageRecord(), usageRecord()];
    for (const r of records) s.record(r);
    expect(await s.flush(5_000)).toBe(true);
    expect(cp.stored.size).toBe(2);
    expect(cp.batches).toHaveLength(2);
    expect(s.stats()).toMatchObject({ published: 2, duplicates: 2 });
  });

  it('drops the oldest records when the buffer is full: counted in a metric and logged', async () => {
    const cp = await server(false);
    const telemetry = createTelemetry({ serviceName: 'usage-test' });
    const logs = new LogLines();
    const s = sink(cp.address, {
      maxQueue: 5,
      meter: telemetry.meter,
      logger: pino({ level: 'info' }, logs),
    });
    const records = Array.from({ length: 8 }, () => usageRecord());
    for (const r of records) s.record(r);
    expect(s.stats().dropped.queue_full).toBe(3);
    await cp.start();
    expect(await s.flush(10_000)).toBe(true);
    // The newest five survive.
    expect([...cp.stored.keys()].sort()).toEqual(
      records
        .slice(3)
        .map((r) => r.requestId)
        .sort(),
    );
    const metrics = await scrape(telemetry);
    expect(metrics).toMatch(/hubpo_gateway_usage_dropped_total\{[^}]*reason="queue_full"[^}]*\} 3/);
    expect(metrics).toMatch(/hubpo_gateway_usage_published_total\{[^}]*duplicate="false"[^}]*\} 5/);
    // The first drop is logged at once; later ones are summed into at most a line per interval
    // (or one at stop), so a long outage does not flood the log.
    await s.stop(1_000);
    const overflow = logs.lines.filter((l) => String(l['msg']).includes('queue full'));
    expect(overflow[0]).toMatchObject({ dropped: 1, capacity: 5, level: 50 });
    expect(overflow.reduce((n, l) => n + Number(l['dropped']), 0)).toBe(3);
    expect(overflow.at(-1)).toMatchObject({ droppedTotal: 3 });
    await telemetry.shutdown();
  });

  it('drops a record the wire cannot carry without holding back the others', async () => {
    const cp = await server();
    const s = sink(cp.address);
    s.record(usageRecord({ outputTokens: -1 }));
    s.record(usageRecord({ requestId: '' }));
    const good = usageRecord();
    s.record(good);
    expect(await s.flush(5_000)).toBe(true);
    expect([...cp.stored.keys()]).toEqual([good.requestId]);
    expect(s.stats().dropped.invalid).toBe(2);
  });

  it('at stop, reports what is buffered, then refuses (and counts) new records', async () => {
    const cp = await server();
    const s = sink(cp.address);
    const records = Array.from({ length: 5 }, () => usageRecord());
    for (const r of records) s.record(r);
    await s.stop(5_000);
    expect(cp.stored.size).toBe(5);
    s.record(usageRecord());
    expect(s.stats().dropped.shutdown).toBe(1);
  });

  it('loses (and counts) only what it could not report before the stop timeout', async () => {
    const cp = await server(false);
    const s = sink(cp.address);
    for (let i = 0; i < 4; i++) s.record(usageRecord());
    await s.stop(100);
    expect(s.stats().dropped.shutdown).toBe(4);
  });
});

describe("usage reporting over the config stream's TLS", () => {
  it('reports with the client certificate under mutual TLS; without one, the control plane refuses', async () => {
    const pki = await createTestPki();
    const telemetry = createTelemetry({ serviceName: 'usage-tls-test', metrics: false });
    const read = (path: string) => readFile(path);
    const cp = new FakeUsageServer(
      await getFreePort(),
      ServerCredentials.createSsl(
        await read(pki.caCert),
        [{ cert_chain: await read(pki.serverCert), private_key: await read(pki.serverKey) }],
        true,
      ),
    );
    await cp.start();
    const env = (mutual: boolean): Record<string, string> => ({
      HUBPO_NODE_ID: 'gw-tls',
      HUBPO_CONTROL_PLANE_GRPC: cp.address,
      HUBPO_CONTROL_PLANE_GRPC_CA: pki.caCert,
      ...(mutual
        ? { HUBPO_CONTROL_PLANE_GRPC_CERT: pki.clientCert, HUBPO_CONTROL_PLANE_GRPC_KEY: pki.clientKey }
        : {}),
    });
    const build = (mutual: boolean) =>
      createUsageSink(loadUsageSinkConfig({}), loadGatewayConfig(env(mutual)), silentLogger, telemetry);
    const withCert = build(true);
    const withoutCert = build(false);
    try {
      const served = usageRecord();
      withCert.record(served);
      withoutCert.record(usageRecord());
      expect(await withCert.flush(10_000)).toBe(true);
      await waitUntil(() => withoutCert.stats().failures > 0, 'the refused handshake');
      expect([...cp.stored.keys()]).toEqual([served.requestId]);
      expect(withoutCert.stats().queued + withoutCert.stats().inFlight).toBe(1);
    } finally {
      await withCert.stop(100);
      await withoutCert.stop(100);
      cp.stop();
      await telemetry.shutdown();
      await pki.remove();
    }
  });
});

async function waitUntil(probe: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
