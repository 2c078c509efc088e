import { credentials } from '@grpc/grpc-js';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import {
  ackDiscoveryRequest,
  applyDiscoveryResponse,
  buildSnapshot,
  initialDiscoveryRequest,
  loadConfigDiscovery,
  nackDiscoveryRequest,
  heartbeatDiscoveryRequest,
} from '@hubpo/snapshot';
import type { DiscoveryNode, DiscoveryRequest, DiscoveryResponse, Snapshot } from '@hubpo/snapshot';
import { eventually, route, startHarness, startTestPostgres, stopTestPostgres } from './harness.js';
import type { Harness } from './harness.js';

jest.setTimeout(60_000);

let h: Harness;
const gateways: TestGateway[] = [];
beforeAll(startTestPostgres);
afterAll(stopTestPostgres);
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  for (const g of gateways.splice(0)) g.close();
  await h.stop();
});

const node = (id: string, cluster = 'local'): DiscoveryNode => ({
  id,
  cluster,
  cloud: 'test',
  region: 'loopback',
  zone: 'a',
  build: 'test',
  labels: new Map(),
});

/** A raw ConfigDiscovery client that records every response. */
class TestGateway {
  readonly #stream: ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  readonly #client: InstanceType<ReturnType<typeof loadConfigDiscovery>['Client']>;
  readonly responses: DiscoveryResponse[] = [];
  #read = 0;
  held: Snapshot | undefined;
  ended: Promise<{ code: number }>;

  constructor(address: string) {
    const { Client } = loadConfigDiscovery();
    this.#client = new Client(address, credentials.createInsecure());
    this.#stream = this.#client.streamConfig();
    this.#stream.on('data', (r: DiscoveryResponse) => this.responses.push(r));
    this.ended = new Promise((resolve) => {
      this.#stream.on('status', (s: { code: number }) => resolve(s));
      this.#stream.on('error', () => undefined);
    });
    gateways.push(this);
  }

  send(request: DiscoveryRequest): void {
    this.#stream.write(request);
  }

  /** The next response not read yet. */
  next(): Promise<DiscoveryResponse> {
    return eventually(
      async () => {
        const r = this.responses[this.#read];
        if (r !== undefined) this.#read += 1;
        return r;
      },
      5000,
      'a discovery response',
    );
  }

  /** Applies `response` as a gateway would and ACKs it. */
  ack(response: DiscoveryResponse): Snapshot {
    this.held = applyDiscoveryResponse(this.held, response);
    this.send(ackDiscoveryRequest(response.nonce, this.held));
    return this.held;
  }

  close(): void {
    this.#stream.end();
    this.#client.close();
  }
}

const gatewayRow = async (id: string) =>
  eventually(async () => {
    const items = (await h.api('GET', '/api/v1/gateways')).body.items as { nodeId: string }[];
    return items.find((g) => g.nodeId === id);
  });

describe('gRPC ConfigDiscovery', () => {
  it('sends a full snapshot, then deltas, and records ACKs', async () => {
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await h.cp.flush();
    const gw = new TestGateway(h.cp.grpcAddress);
    gw.send(initialDiscoveryRequest(node('gw-1')));
    const first = await gw.next();
    expect(first.full).toBe(true);
    expect(first.cluster).toBe('local');
    expect(first.resources.map((r) => `${r.kind}/${r.name}`)).toEqual(['route/shop/orders']);
    const held = gw.ack(first);
    expect(held.hash).toBe(first.snapshotHash);

    const acked = await eventually(async () => {
      const row = (await gatewayRow('gw-1')) as unknown as { appliedRevision: number; lastAck: unknown };
      return row.appliedRevision === first.revision && row.lastAck !== null ? row : undefined;
    });
    expect(acked).toMatchObject({
      cluster: 'local',
      transport: 'grpc',
      connected: true,
      appliedHash: first.snapshotHash,
      lastNack: null,
    });

    await h.api('POST', '/api/v1/namespaces/shop/routes', route('payments'));
    await h.cp.flush();
    const second = await gw.next();
    expect(second.full).toBe(false);
    expect(second.resources.map((r) => r.name)).toEqual(['shop/payments']);
    expect(second.removed).toEqual([]);
    expect(second.nonce).not.toBe(first.nonce);
    gw.ack(second);

    await h.api('DELETE', '/api/v1/namespaces/shop/routes/orders');
    await h.cp.flush();
    const third = await gw.next();
    expect(third).toMatchObject({ full: false, resources: [], removed: ['route/shop/orders'] });
    expect(gw.ack(third).resources.size).toBe(1);
  });

  it('does not count a gateway holding a higher revision of another epoch until it ACKs this one', async () => {
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await h.cp.flush();
    const epoch = (await h.query<{ epoch: string }>('select epoch from config_revision'))[0]!.epoch;
    // E.g. a gateway that served the control plane's previous (now recreated) database.
    const foreign = buildSnapshot('local', 99, [], 'previous-database');
    const gw = new TestGateway(h.cp.grpcAddress);
    gw.held = foreign;
    gw.send(initialDiscoveryRequest(node('gw-foreign'), foreign));
    const response = await gw.next();
    expect(response.epoch).toBe(epoch);
    expect(response.revision).toBeLessThan(99);
    expect(response.resources.map((r) => r.name)).toEqual(['shop/orders']);
    expect(await gatewayRow('gw-foreign')).toMatchObject({ appliedRevision: 0, appliedHash: '' });
    await h.cp.flush();
    const before = (await h.api('GET', '/api/v1/namespaces/shop/routes/orders/status')).body.status;
    expect(before.conditions.find((c: { type: string }) => c.type === 'Distributed')?.status).not.toBe(
      'True',
    );

    expect(gw.ack(response).epoch).toBe(epoch);
    await eventually(async () => {
      const row = (await gatewayRow('gw-foreign')) as unknown as { appliedRevision: number };
      return row.appliedRevision === response.revision ? row : undefined;
    });
  });

  it('marks objects Distributed once the connected gateways ACK them', async () => {
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await h.cp.flush();
    const gw = new TestGateway(h.cp.grpcAddress);
    gw.send(initialDiscoveryRequest(node('gw-1')));
    const pending = (await h.api('GET', '/api/v1/namespaces/shop/routes/orders/status')).body;
    expect(pending.status.conditions.find((c: { type: string }) => c.type === 'Programmed')?.status).toBe(
      'True',
    );
    gw.ack(await gw.next());
    const distributed = await eventually(async () => {
      await h.cp.flush();
      const status = (await h.api('GET', '/api/v1/namespaces/shop/routes/orders/status')).body.status;
      const c = status.conditions.find((x: { type: string }) => x.type === 'Distributed');
      return c?.status === 'True' ? status : undefined;
    });
    expect(distributed.distribution).toEqual([
      {
        cluster: 'local',
        gateways: 1,
        acked: 1,
        revision: expect.any(Number),
        propagationMs: expect.any(Number),
      },
    ]);
  });

  it('records a NACK with its error and the revision the gateway keeps', async () => {
    const gw = new TestGateway(h.cp.grpcAddress);
    gw.send(initialDiscoveryRequest(node('gw-1')));
    const first = await gw.next();
    gw.ack(first);
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await h.cp.flush();
    const second = await gw.next();
    gw.send(
      nackDiscoveryRequest(second.nonce, gw.held, {
        code: 'HUBPO_ERR_SNAPSHOT_INVALID',
        message: 'route shop/orders: no',
      }),
    );
    const row = await eventually(async () => {
      const g = (await gatewayRow('gw-1')) as unknown as { lastNack: { revision: number } | null };
      return g.lastNack !== null ? g : undefined;
    });
    expect(row).toMatchObject({
      appliedRevision: first.revision,
      appliedHash: first.snapshotHash,
      lastNack: {
        error: 'HUBPO_ERR_SNAPSHOT_INVALID: route shop/orders: no',
        revision: second.revision,
        at: expect.any(String),
      },
    });
    // The rejected snapshot is not sent again; the next one is.
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('payments'));
    await h.cp.flush();
    const third = await gw.next();
    expect(third.full).toBe(false);
    expect(third.resources.map((r) => r.name).sort()).toEqual(['shop/orders', 'shop/payments']);
  });

  it('registers an unknown cluster with an empty snapshot, then serves what is placed there', async () => {
    const gw = new TestGateway(h.cp.grpcAddress);
    gw.send(initialDiscoveryRequest(node('eu-1', 'eu-west')));
    const first = await gw.next();
    expect(first).toMatchObject({ full: true, cluster: 'eu-west', revision: 0, resources: [] });
    gw.ack(first);
    const clusters = (await h.api('GET', '/api/v1/clusters')).body.items.map((c: { name: string }) => c.name);
    expect(clusters).toEqual(['eu-west', 'local']);

    await h.api(
      'POST',
      '/api/v1/namespaces/shop/routes',
      route('eu-only', { placement: { clusters: ['eu-west'] } }),
    );
    await h.cp.flush();
    const second = await gw.next();
    expect(second.resources.map((r) => r.name)).toEqual(['shop/eu-only']);
    const local = (await h.api('GET', '/api/v1/clusters')).body.items.find(
      (c: { name: string }) => c.name === 'local',
    );
    expect(local.published.resources).toBe(0);
  });

  it('answers a reconnect that holds the current snapshot with an empty delta, and tracks connection state', async () => {
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await h.cp.flush();
    const gw1 = new TestGateway(h.cp.grpcAddress);
    gw1.send(initialDiscoveryRequest(node('gw-1')));
    const held = gw1.ack(await gw1.next());
    await gatewayRow('gw-1');
    gw1.close();
    await eventually(
      async () =>
        ((await gatewayRow('gw-1')) as unknown as { connected: boolean }).connected === false || undefined,
    );

    const gw2 = new TestGateway(h.cp.grpcAddress);
    gw2.held = held;
    gw2.send(initialDiscoveryRequest(node('gw-1'), held));
    const resumed = await gw2.next();
    expect(resumed).toMatchObject({ full: false, resources: [], removed: [], snapshotHash: held.hash });
    gw2.ack(resumed);
    gw2.send(heartbeatDiscoveryRequest(held, Date.now()));
    await eventually(
      async () => ((await gatewayRow('gw-1')) as unknown as { connected: boolean }).connected || undefined,
    );
  });

  it('ends a stream whose first message has no node with INVALID_ARGUMENT', async () => {
    const gw = new TestGateway(h.cp.grpcAddress);
    gw.send({ revision: 0, snapshotHash: '', initialResourceVersions: new Map(), responseNonce: 'x' });
    expect((await gw.ended).code).toBe(3);
  });
});
