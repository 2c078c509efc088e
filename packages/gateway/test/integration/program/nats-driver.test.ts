import { rm } from 'node:fs/promises';
import { createGateway } from '@hubpo/gateway';
import type { Gateway } from '@hubpo/gateway';
import { NatsConfigBucket, configNatsConnectionOptions, subscribeAcks } from '@hubpo/snapshot';
import type { ConfigAck } from '@hubpo/snapshot';
import { startEchoServer, startNats } from '@hubpo/testkit';
import type { EchoServer, NatsProcess } from '@hubpo/testkit';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import {
  CLUSTER,
  brokenRoute,
  eventually,
  httpRequest,
  proxyRoute,
  servedBy,
  snapshotOf,
  tempDataDir,
  testGatewayConfig,
} from './gateway-fixtures.js';

jest.setTimeout(60_000);

describe('gateway NATS config driver', () => {
  let nats: NatsProcess;
  let publisherConnection: NatsConnection;
  let bucket: NatsConfigBucket;
  let a: EchoServer;
  let b: EchoServer;
  let dataDir: string;
  let gateway: Gateway | undefined;
  let acks: ConfigAck[];

  beforeAll(async () => {
    nats = await startNats();
  });

  afterAll(async () => {
    await nats.stop();
  });

  beforeEach(async () => {
    a = await startEchoServer({ name: 'echo-a' });
    b = await startEchoServer({ name: 'echo-b' });
    dataDir = await tempDataDir();
    // The control plane's side: a publisher that reconnects forever, like the real one.
    publisherConnection = await connect(configNatsConnectionOptions(nats.url, { reconnectTimeWait: 100 }));
    bucket = await NatsConfigBucket.open(publisherConnection, { create: true });
    acks = [];
    subscribeAcks(publisherConnection, (ack) => acks.push(ack), { cluster: CLUSTER });
  });

  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    await publisherConnection.close();
    await Promise.all([a.stop(), b.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  const startGateway = async (): Promise<Gateway> => {
    gateway = await createGateway(testGatewayConfig({ kind: 'nats', url: nats.url }, dataDir, 'gw-nats-1'));
    return gateway;
  };
  /** Resolves at the connection's next reconnect (requests sent before it would time out). */
  const reconnected = async (nc: NatsConnection): Promise<void> => {
    for await (const status of nc.status()) if (String(status.type) === 'reconnect') return;
  };
  /** Retries `attempt` until it succeeds (JetStream may answer late right after a restart). */
  const retrying = async <T>(attempt: () => Promise<T>, timeoutMs = 15_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await attempt();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const lastAck = (filter: (ack: ConfigAck) => boolean) => [...acks].reverse().find(filter);

  it('applies published revisions, ACKs them and survives a nats-server restart', async () => {
    const first = await bucket.publish(snapshotOf(101, [proxyRoute('a', '/', a.url)]));
    const gw = await startGateway();
    await gw.waitForRevision(101, 15_000);
    expect(await servedBy(gw.url, '/x')).toBe('echo-a');
    await eventually(async () => lastAck((ack) => !ack.heartbeat)?.revision, 101);
    expect(lastAck((ack) => !ack.heartbeat)).toMatchObject({
      nodeId: 'gw-nats-1',
      ok: true,
      hash: first.hash,
    });

    await bucket.publish(snapshotOf(102, [proxyRoute('a', '/', a.url), proxyRoute('b', '/b', b.url)]));
    await gw.waitForRevision(102, 15_000);
    expect(await servedBy(gw.url, '/b/y')).toBe('echo-b');

    const publisherBack = reconnected(publisherConnection);
    await nats.restart();
    // Serving never stopped; the revision published after the restart still arrives.
    expect(await servedBy(gw.url, '/b/y')).toBe('echo-b');
    await publisherBack;
    await retrying(() => bucket.publish(snapshotOf(103, [proxyRoute('b', '/', b.url)])));
    await gw.waitForRevision(103, 20_000);
    expect(await servedBy(gw.url, '/x')).toBe('echo-b');
    await eventually(async () => lastAck((ack) => !ack.heartbeat)?.revision, 103, 15_000);

    const config = await httpRequest(`${gw.adminUrl}/config`);
    expect(config.json).toMatchObject({
      revision: 103,
      source: 'nats',
      driver: { kind: 'nats', state: 'connected' },
    });
    expect((config.json['driver'] as { disconnects: number }).disconnects).toBeGreaterThanOrEqual(1);
  });

  it('NACKs a revision that does not compile, keeps serving, and heartbeats the NACK', async () => {
    const good = await bucket.publish(snapshotOf(201, [proxyRoute('a', '/', a.url)]));
    const gw = await startGateway();
    await gw.waitForRevision(201, 15_000);

    const bad = await bucket.publish(
      snapshotOf(202, [proxyRoute('a', '/', b.url), brokenRoute('bad', b.url)]),
    );
    await eventually(async () => lastAck((ack) => !ack.ok && !ack.heartbeat)?.rejectedRevision, 202);
    expect(lastAck((ack) => !ack.ok)).toMatchObject({
      revision: 201,
      hash: good.hash,
      rejectedRevision: 202,
      rejectedHash: bad.hash,
      error: { code: 'HUBPO_ERR_SNAPSHOT_INVALID' },
    });
    expect(gw.revision()).toBe(201);
    expect(await servedBy(gw.url, '/x')).toBe('echo-a');
    await eventually(
      async () => acks.some((ack) => ack.heartbeat && !ack.ok && ack.rejectedRevision === 202),
      true,
    );
  });

  it('waits for the bucket and the first revision when started before any publish', async () => {
    const gw = await createGateway(
      testGatewayConfig({ kind: 'nats', url: nats.url, bucket: 'hubpo-config-late' }, dataDir, 'gw-nats-2'),
    );
    gateway = gw;
    expect((await httpRequest(`${gw.url}/x`)).status).toBe(503);
    const late = await NatsConfigBucket.open(publisherConnection, {
      bucket: 'hubpo-config-late',
      create: true,
    });
    await late.publish(snapshotOf(5, [proxyRoute('a', '/', a.url)]));
    await gw.waitForRevision(5, 15_000);
    expect(await servedBy(gw.url, '/x')).toBe('echo-a');
  });
});
