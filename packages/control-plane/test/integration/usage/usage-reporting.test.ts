import { credentials, status as GrpcStatus } from '@grpc/grpc-js';
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { MAX_USAGE_BATCH_RECORDS, loadUsageReporting } from '@hubpo/snapshot';
import type { UsageAck, UsageBatch, UsageRecord, UsageReportingClient } from '@hubpo/snapshot';
import { startHarness, startTestPostgres, stopTestPostgres } from '../harness.js';
import type { Harness } from '../harness.js';
import { usageRecord } from './usage-fixtures.js';

type ReportCall = ClientDuplexStream<UsageBatch, UsageAck>;

/** One `Report` stream, played by the test the way a gateway's GrpcUsageSink uses it. */
class Reporter {
  readonly call: ReportCall;
  readonly acks: UsageAck[] = [];
  readonly ended: Promise<{ code: number; details: string }>;
  #waiters: (() => void)[] = [];

  constructor(client: UsageReportingClient) {
    this.call = client.report();
    this.call.on('data', (ack: UsageAck) => {
      this.acks.push(ack);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.ended = new Promise((resolve) => {
      this.call.on('error', (err: ServiceError) => resolve({ code: err.code, details: err.details }));
      this.call.on('status', (s) => resolve({ code: s.code, details: s.details }));
    });
  }

  async send(batchId: number, records: readonly UsageRecord[], cluster = 'eu-west'): Promise<UsageAck> {
    this.call.write({ batchId, cluster, nodeId: 'gw-test', records });
    for (;;) {
      const ack = this.acks.find((a) => a.batchId === batchId);
      if (ack !== undefined) return ack;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

describe('UsageReporting (gRPC) on the control plane', () => {
  let h: Harness;
  let client: UsageReportingClient;

  beforeAll(async () => {
    await startTestPostgres();
    h = await startHarness(); // no NATS: the gRPC service is the only way in
    const { Client } = loadUsageReporting();
    client = new Client(h.cp.grpcAddress, credentials.createInsecure());
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await h?.stop();
    await stopTestPostgres();
  }, 30_000);

  const rowCount = async (): Promise<number> =>
    Number((await h.query<{ n: string }>('select count(*) as n from usage_records'))[0]!.n);

  it('stores each batch, ACKs it by id after the commit, and serves the records in /api/v1/usage', async () => {
    const reporter = new Reporter(client);
    const first = [usageRecord(), usageRecord({ unpriced: true, currency: '', costMicros: 0 })];
    const second = [usageRecord()];
    const [ack1, ack2] = await Promise.all([reporter.send(7, first), reporter.send(8, second)]);
    expect(ack1).toEqual({ batchId: 7, stored: 2, duplicates: 0, invalid: 0, error: '' });
    expect(ack2).toEqual({ batchId: 8, stored: 1, duplicates: 0, invalid: 0, error: '' });
    reporter.call.end();
    expect((await reporter.ended).code).toBe(GrpcStatus.OK);

    const res = await h.api('GET', `/api/v1/usage?cluster=eu-west`);
    const ids = res.body.items.map((i: { requestId: string }) => i.requestId).sort();
    expect(ids).toEqual([...first, ...second].map((r) => r.requestId).sort());
    const unpriced = res.body.items.find((i: { requestId: string }) => i.requestId === first[1]!.requestId);
    expect(unpriced).toMatchObject({ unpriced: true, priced: false, currency: '', costMicros: 0 });
  });

  it('stores a resent batch once: the resend is ACKed with its records as duplicates', async () => {
    const before = await rowCount();
    const records = [usageRecord(), usageRecord(), usageRecord()];
    const lost = new Reporter(client);
    expect(await lost.send(1, records)).toMatchObject({ stored: 3, duplicates: 0 });
    lost.call.cancel(); // the gateway never saw that ACK: it resends on a new stream
    const again = new Reporter(client);
    expect(await again.send(1, [...records, usageRecord()])).toMatchObject({ stored: 1, duplicates: 3 });
    again.call.end();
    expect(await rowCount()).toBe(before + 4);
  });

  it('counts records without a request id as invalid and stores the rest', async () => {
    const reporter = new Reporter(client);
    const ack = await reporter.send(1, [usageRecord({ requestId: '' }), usageRecord()]);
    expect(ack).toMatchObject({ stored: 1, invalid: 1, error: '' });
    reporter.call.end();
  });

  it('answers a batch the database refused with an error, and stores it when it is resent later', async () => {
    const reporter = new Reporter(client);
    const records = [usageRecord(), usageRecord()];
    await h.query('alter table usage_records rename to usage_records_away');
    try {
      const refused = await reporter.send(1, records);
      expect(refused.stored).toBe(0);
      expect(refused.error).not.toBe('');
    } finally {
      await h.query('alter table usage_records_away rename to usage_records');
    }
    expect(await reporter.send(2, records)).toMatchObject({ stored: 2, duplicates: 0, error: '' });
    reporter.call.end();
  });

  it('ends a stream that breaks the contract with INVALID_ARGUMENT', async () => {
    const tooMany = new Reporter(client);
    const many = Array.from({ length: MAX_USAGE_BATCH_RECORDS + 1 }, () => usageRecord());
    tooMany.call.write({ batchId: 1, cluster: 'eu-west', nodeId: 'gw-test', records: many });
    expect(await tooMany.ended).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });

    const badCluster = new Reporter(client);
    badCluster.call.write({
      batchId: 1,
      cluster: 'Not A Label',
      nodeId: 'gw-test',
      records: [usageRecord()],
    });
    expect(await badCluster.ended).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  });
});
