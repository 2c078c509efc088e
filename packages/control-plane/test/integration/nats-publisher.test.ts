import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { NatsConfigBucket, publishAck } from '@hubpo/snapshot';
import type { ConfigAck } from '@hubpo/snapshot';
import { getFreePort, startNats } from '@hubpo/testkit';
import type { NatsProcess } from '@hubpo/testkit';
import { eventually, route, startHarness, startTestPostgres, stopTestPostgres } from './harness.js';
import type { Harness } from './harness.js';

jest.setTimeout(90_000);

let h: Harness;
let nats: NatsProcess;
let nc: NatsConnection | undefined;
beforeAll(startTestPostgres);
afterAll(stopTestPostgres);
afterEach(async () => {
  await nc?.close();
  nc = undefined;
});

async function reader(): Promise<NatsConfigBucket> {
  nc ??= await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const connection = nc;
  return eventually(() => NatsConfigBucket.open(connection), 10_000, 'the config bucket');
}

/** Waits until the control plane reports it wrote `expected` of the cluster to NATS. */
const writtenToNats = (expected: number, cluster = 'local', timeoutMs = 10_000) =>
  eventually(
    async () => {
      const clusters = (await h.api('GET', '/api/v1/config')).body.clusters as {
        cluster: string;
        nats?: { revision: number } | null;
      }[];
      return clusters.find((c) => c.cluster === cluster)?.nats?.revision === expected ? true : undefined;
    },
    timeoutMs,
    `revision ${expected} written to NATS`,
  );

const revision = async (): Promise<number> => (await h.api('GET', '/api/v1/config')).body.revision as number;

const ack = (overrides: Partial<ConfigAck>): ConfigAck => ({
  nodeId: 'nats-gw-1',
  cluster: 'local',
  revision: 0,
  hash: '',
  ok: true,
  appliedAtUnixMs: Date.now(),
  heartbeat: false,
  rejectedRevision: 0,
  rejectedHash: '',
  epoch: '',
  ...overrides,
});

describe('NATS publisher', () => {
  beforeEach(async () => {
    nats = await startNats();
    h = await startHarness({ natsUrl: nats.url });
  });
  afterEach(async () => {
    await nc?.close();
    nc = undefined;
    await h.stop();
    await nats.stop();
  });

  it('writes the manifest of a cluster after a write', async () => {
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await h.cp.flush();
    const expected = await revision();
    await writtenToNats(expected);
    const bucket = await reader();
    const manifest = await eventually(async () => {
      const m = await bucket.readManifest('local');
      return m?.revision === expected ? m : undefined;
    });
    expect([...manifest.resources.keys()]).toEqual(['route/shop/orders']);
    const snapshot = await bucket.readSnapshot('local');
    expect(snapshot?.hash).toBe(manifest.hash);
    const config = (await h.api('GET', '/api/v1/config')).body;
    expect(config.clusters[0]).toMatchObject({ cluster: 'local', hash: manifest.hash });
  });

  it('publishes the latest snapshot once NATS is back, without blocking the API meanwhile', async () => {
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await h.cp.flush();
    const before = await revision();
    await writtenToNats(before);
    const bucket = await reader();

    await nats.kill();
    const created = await h.api('POST', '/api/v1/namespaces/shop/routes', route('payments'));
    expect(created.status).toBe(201);
    await h.cp.flush();
    const during = (await h.api('GET', '/api/v1/config')).body;
    expect(during.clusters[0].revision).toBe(before + 1); // published to gRPC and stored while NATS is down

    await nats.restart();
    await writtenToNats(before + 1, 'local', 20_000);
    const manifest = await eventually(async () => {
      const m = await bucket.readManifest('local');
      return m?.revision === before + 1 ? m : undefined;
    });
    expect([...manifest.resources.keys()].sort()).toEqual(['route/shop/orders', 'route/shop/payments']);
  });

  it('records ACKs and NACKs that gateways publish on NATS', async () => {
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await h.cp.flush();
    const current = (await h.api('GET', '/api/v1/config')).body.clusters[0] as {
      revision: number;
      hash: string;
    };
    await reader();
    const conn = nc as NatsConnection;
    publishAck(conn, ack({ revision: current.revision, hash: current.hash }));
    await conn.flush();
    const acked = await eventually(async () => {
      const items = (await h.api('GET', '/api/v1/gateways')).body.items as {
        nodeId: string;
        appliedRevision: number;
      }[];
      return items.find((g) => g.nodeId === 'nats-gw-1' && g.appliedRevision === current.revision);
    });
    expect(acked).toMatchObject({
      transport: 'nats',
      cluster: 'local',
      connected: true,
      appliedHash: current.hash,
      lastAck: { at: expect.any(String) },
    });

    publishAck(
      conn,
      ack({
        revision: current.revision,
        hash: current.hash,
        ok: false,
        error: { code: 'HUBPO_ERR_SNAPSHOT_INVALID', message: 'bad' },
        rejectedRevision: current.revision + 5,
        rejectedHash: 'ffff',
      }),
    );
    await conn.flush();
    const nacked = await eventually(async () => {
      const items = (await h.api('GET', '/api/v1/gateways')).body.items as {
        nodeId: string;
        lastNack: unknown;
      }[];
      return items.find((g) => g.nodeId === 'nats-gw-1' && g.lastNack !== null);
    });
    expect(nacked).toMatchObject({
      appliedRevision: current.revision,
      lastNack: { error: 'HUBPO_ERR_SNAPSHOT_INVALID: bad', revision: current.revision + 5 },
    });
  });
});

describe('NATS unavailable at start', () => {
  it('starts and serves the API; the NATS driver catches up when the server appears', async () => {
    const port = await getFreePort();
    h = await startHarness({ natsUrl: `nats://127.0.0.1:${port}` });
    try {
      expect((await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'))).status).toBe(201);
      await h.cp.flush();
      expect((await h.api('GET', '/readyz', undefined, { authorization: '' })).status).toBe(200);
      nats = await startNats({ port });
      const expected = await revision();
      await writtenToNats(expected, 'local', 20_000);
      const manifest = await (await reader()).readManifest('local');
      expect(manifest?.revision).toBe(expected);
      if (manifest === undefined) return;
      expect([...manifest.resources.keys()]).toEqual(['route/shop/orders']);
    } finally {
      await nc?.close();
      nc = undefined;
      await h.stop();
      await nats?.stop();
    }
  });
});
