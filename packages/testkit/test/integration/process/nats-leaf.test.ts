import { connect, type KV, type NatsConnection } from 'nats';
import { startNats, type NatsProcess } from '@hubpo/testkit';

const encode = (value: string): Uint8Array => new TextEncoder().encode(value);
const decode = (value: Uint8Array): string => new TextDecoder().decode(value);

async function read(kv: KV, key: string): Promise<string | null> {
  const entry = await kv.get(key);
  return entry === null || entry.operation !== 'PUT' ? null : decode(entry.value);
}

async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    let failure: unknown;
    try {
      value = await probe();
      if (done(value)) return value;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms (last: ${String(failure ?? value)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The distribution topology of ARCHITECTURE.md: a hub holds the config KV bucket; each cloud runs
 * a leaf node with its own JetStream domain and a mirror of the bucket, so gateways read locally
 * and keep reading while the hub is down.
 */
describe('hub and leaf nats-servers', () => {
  let hub: NatsProcess;
  let leaf: NatsProcess;
  let hubConnection: NatsConnection;
  let leafConnection: NatsConnection;

  beforeAll(async () => {
    hub = await startNats({ serverName: 'hub', jetstreamDomain: 'hub', leafnodes: {} });
    leaf = await startNats({
      serverName: 'leaf-aws',
      jetstreamDomain: 'aws',
      leafRemotes: [hub.leafnodeUrl ?? ''],
    });
    await leaf.waitForLeafnodes(1);
    await hub.waitForLeafnodes(1);
    hubConnection = await connect({ servers: hub.url });
    // The gateway side: it only ever talks to its local leaf.
    leafConnection = await connect({ servers: leaf.url });
  });

  afterAll(async () => {
    await leafConnection?.close();
    await hubConnection?.close().catch(() => undefined);
    await leaf?.stop();
    await hub?.stop();
  });

  it('mirrors a hub KV bucket into the leaf domain and serves it locally through a hub outage', async () => {
    const hubKv = await hubConnection.jetstream().views.kv('config', { history: 5 });
    await hubKv.put('cluster-a.route-1', encode('v1'));

    // Creates stream KV_config in the leaf's domain mirroring KV_config of domain "hub".
    const leafKv = await leafConnection
      .jetstream()
      .views.kv('config', { mirror: { name: 'config', domain: 'hub' } });
    await eventually(
      () => read(leafKv, 'cluster-a.route-1'),
      (value) => value === 'v1',
    );
    const leafStream = await (await leafConnection.jetstreamManager()).streams.info('KV_config');
    expect(leafStream.config.mirror?.external?.api).toBe('$JS.hub.API');

    await hub.kill();
    expect(await read(leafKv, 'cluster-a.route-1')).toBe('v1');
    // A gateway that (re)connects during the outage still finds the config on its leaf.
    const lateGateway = await connect({ servers: leaf.url });
    try {
      const lateKv = await lateGateway.jetstream().views.kv('config');
      expect(await read(lateKv, 'cluster-a.route-1')).toBe('v1');
    } finally {
      await lateGateway.close();
    }

    await hub.restart();
    await leaf.waitForLeafnodes(1, 15_000);
    const hubAgain = await connect({ servers: hub.url });
    try {
      const kvAgain = await hubAgain.jetstream().views.kv('config');
      await kvAgain.put('cluster-a.route-1', encode('v2'));
      await kvAgain.put('cluster-a.route-2', encode('new'));
    } finally {
      await hubAgain.close();
    }
    await eventually(
      () => read(leafKv, 'cluster-a.route-2'),
      (value) => value === 'new',
    );
    expect(await read(leafKv, 'cluster-a.route-1')).toBe('v2');
  });

  it('keeps the JetStream domains apart', async () => {
    const hubInfo = await (await hubConnection.jetstreamManager()).getAccountInfo();
    const leafInfo = await (await leafConnection.jetstreamManager()).getAccountInfo();
    expect(hubInfo.domain).toBe('hub');
    expect(leafInfo.domain).toBe('aws');
    // From the leaf, the hub's JetStream is reachable through its domain prefix.
    const viaLeaf = await (await leafConnection.jetstreamManager({ domain: 'hub' })).getAccountInfo();
    expect(viaLeaf.domain).toBe('hub');
  });
});
