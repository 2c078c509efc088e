import { rm } from 'node:fs/promises';
import { createGateway } from '@hubpo/gateway';
import type { Gateway } from '@hubpo/gateway';
import { startEchoServer } from '@hubpo/testkit';
import type { EchoServer } from '@hubpo/testkit';
import {
  brokenRoute,
  eventually,
  httpRequest,
  proxyRoute,
  servedBy,
  snapshotOf,
  tempDataDir,
  testGatewayConfig,
} from './gateway-fixtures.js';
import { BlackholeProxy } from './blackhole-proxy.js';
import { TestConfigServer } from './test-config-server.js';

jest.setTimeout(30_000);

describe('gateway gRPC config driver', () => {
  let a: EchoServer;
  let b: EchoServer;
  let dataDir: string;
  let controlPlane: TestConfigServer;
  let gateway: Gateway | undefined;

  beforeEach(async () => {
    a = await startEchoServer({ name: 'echo-a' });
    b = await startEchoServer({ name: 'echo-b' });
    dataDir = await tempDataDir();
    controlPlane = await TestConfigServer.start();
  });

  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    await controlPlane.stop();
    await Promise.all([a.stop(), b.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  const startGateway = async (): Promise<Gateway> => {
    gateway = await createGateway(
      testGatewayConfig({ kind: 'grpc', target: controlPlane.target }, dataDir, 'gw-grpc-1'),
    );
    return gateway;
  };

  it('applies a full snapshot, then deltas, and ACKs each with its nonce', async () => {
    const first = snapshotOf(1, [proxyRoute('a', '/', a.url)]);
    controlPlane.publish(first);
    const gw = await startGateway();
    await gw.waitForRevision(1, 10_000);
    expect(await servedBy(gw.url, '/anything')).toBe('echo-a');

    const [initial] = controlPlane.seen('initial');
    expect(initial?.request.node).toMatchObject({ id: 'gw-grpc-1', cluster: 'test-east', region: 'test-1' });
    expect(initial?.request.revision).toBe(0);

    const second = snapshotOf(2, [proxyRoute('a', '/', a.url), proxyRoute('b', '/b', b.url)]);
    controlPlane.publish(second);
    await gw.waitForRevision(2, 10_000);
    expect(await servedBy(gw.url, '/b/x')).toBe('echo-b');
    expect(await servedBy(gw.url, '/x')).toBe('echo-a');

    expect(
      controlPlane.sent.map((r) => ({ revision: r.revision, full: r.full, n: r.resources.length })),
    ).toEqual([
      { revision: 1, full: true, n: 1 },
      { revision: 2, full: false, n: 1 },
    ]);
    await controlPlane.waitFor((reqs) => reqs.filter((r) => r.kind === 'ack').length === 2);
    expect(controlPlane.seen('ack').map((r) => r.request)).toEqual([
      expect.objectContaining({
        responseNonce: controlPlane.sent[0]?.nonce,
        revision: 1,
        snapshotHash: first.hash,
      }),
      expect.objectContaining({
        responseNonce: controlPlane.sent[1]?.nonce,
        revision: 2,
        snapshotHash: second.hash,
      }),
    ]);

    // Removing a route is a delta with `removed`.
    controlPlane.publish(snapshotOf(3, [proxyRoute('b', '/b', b.url)]));
    await gw.waitForRevision(3, 10_000);
    expect(controlPlane.sent.at(-1)?.removed).toEqual(['route/default/a']);
    expect((await httpRequest(`${gw.url}/x`)).status).toBe(404);
  });

  it('NACKs a snapshot that does not compile and keeps serving the previous one', async () => {
    const good = snapshotOf(1, [proxyRoute('a', '/', a.url)]);
    controlPlane.publish(good);
    const gw = await startGateway();
    await gw.waitForRevision(1, 10_000);

    controlPlane.publish(snapshotOf(2, [proxyRoute('a', '/', b.url), brokenRoute('bad', b.url)]));
    await controlPlane.waitFor((reqs) => reqs.some((r) => r.kind === 'nack'));

    const [nack] = controlPlane.seen('nack');
    expect(nack?.request).toMatchObject({
      responseNonce: controlPlane.sent[1]?.nonce,
      revision: 1,
      snapshotHash: good.hash,
      errorDetail: { code: 'HUBPO_ERR_SNAPSHOT_INVALID', message: expect.any(String) },
    });
    expect(gw.revision()).toBe(1);
    expect(await servedBy(gw.url, '/x')).toBe('echo-a');
    const config = await httpRequest(`${gw.adminUrl}/config`);
    expect(config.json).toMatchObject({
      revision: 1,
      lastRejected: { revision: 2, code: 'HUBPO_ERR_SNAPSHOT_INVALID' },
    });

    // The next good revision (a delta against what was ACKed) applies.
    controlPlane.publish(snapshotOf(3, [proxyRoute('a', '/', b.url)]));
    await gw.waitForRevision(3, 10_000);
    expect(await servedBy(gw.url, '/x')).toBe('echo-b');
  });

  it("shows the control plane's config epoch with the revision on /config (ADR 0008)", async () => {
    const gw = await startGateway();
    expect((await httpRequest(`${gw.adminUrl}/config`)).json).toMatchObject({ revision: null, epoch: null });
    const first = snapshotOf(1, [proxyRoute('a', '/', a.url)]);
    controlPlane.publish({ ...first, epoch: 'epoch-a' });
    await gw.waitForRevision(1, 10_000);
    expect((await httpRequest(`${gw.adminUrl}/config`)).json).toMatchObject({
      revision: 1,
      epoch: 'epoch-a',
    });

    // The control plane's database was replaced: a lower revision of a new epoch is adopted.
    const reset = snapshotOf(1, [proxyRoute('b', '/', b.url)]);
    controlPlane.publish({ ...reset, epoch: 'epoch-b' });
    await eventually(async () => (await httpRequest(`${gw.adminUrl}/config`)).json['epoch'], 'epoch-b');
    expect(await servedBy(gw.url, '/x')).toBe('echo-b');
  });

  it('is connected and heartbeats even when the control plane has nothing to send', async () => {
    controlPlane.publish(snapshotOf(1, [proxyRoute('a', '/', a.url)]));
    const first = await startGateway();
    await first.waitForRevision(1, 10_000);
    await first.stop();

    // Restarted from its LKG at the control plane's revision: the stream stays silent.
    const gw = await startGateway();
    await controlPlane.waitFor(
      (reqs) => reqs.filter((r) => r.kind === 'heartbeat' && r.stream === 2).length >= 2,
    );
    expect(controlPlane.sent).toHaveLength(1);
    expect(controlPlane.seen('heartbeat').at(-1)?.request).toMatchObject({ revision: 1, responseNonce: '' });
    const config = await httpRequest(`${gw.adminUrl}/config`);
    expect(config.json).toMatchObject({ revision: 1, source: 'lkg', driver: { state: 'connected' } });
  });

  it('keeps serving while the control plane is down and catches up when it is back', async () => {
    controlPlane.publish(snapshotOf(1, [proxyRoute('a', '/', a.url)]));
    const gw = await startGateway();
    await gw.waitForRevision(1, 10_000);

    await controlPlane.stop();
    await eventually(
      async () => ((await httpRequest(`${gw.adminUrl}/config`)).json['driver'] as { state: string }).state,
      'disconnected',
    );
    expect(gw.ready()).toBe(true);
    expect(await servedBy(gw.url, '/x')).toBe('echo-a');
    expect((await httpRequest(`${gw.adminUrl}/readyz`)).status).toBe(200);

    controlPlane.publish(snapshotOf(2, [proxyRoute('a', '/', a.url), proxyRoute('b', '/b', b.url)]));
    await controlPlane.restart();
    await gw.waitForRevision(2, 10_000);
    expect(await servedBy(gw.url, '/b/1')).toBe('echo-b');

    // The reconnect said what it held, so the catch-up was a delta.
    const reconnect = controlPlane.seen('initial').at(-1);
    expect(reconnect?.stream).toBeGreaterThan(1);
    expect(reconnect?.request.revision).toBe(1);
    expect(controlPlane.sent.at(-1)).toMatchObject({ revision: 2, full: false });
  });

  it('notices a control plane that went silent (keepalive) and reconnects', async () => {
    const [host, port] = controlPlane.target.split(':');
    const proxy = await BlackholeProxy.start({ host: host!, port: Number(port) });
    try {
      controlPlane.publish(snapshotOf(1, [proxyRoute('a', '/', a.url)]));
      const config = testGatewayConfig({ kind: 'grpc', target: proxy.target }, dataDir, 'gw-grpc-1');
      gateway = await createGateway({
        ...config,
        timeouts: {
          ...config.timeouts,
          heartbeatIntervalMs: 60_000,
          keepaliveTimeMs: 200,
          keepaliveTimeoutMs: 200,
        },
      });
      await gateway.waitForRevision(1, 10_000);
      expect(controlPlane.seen('initial')).toHaveLength(1);

      proxy.blackhole();
      // No FIN, no RST: only the unanswered keepalive ping can tell; then a new stream opens.
      await controlPlane.waitFor((reqs) => reqs.filter((r) => r.kind === 'initial').length === 2, 10_000);
      controlPlane.publish(snapshotOf(2, [proxyRoute('a', '/', b.url)]));
      await gateway.waitForRevision(2, 10_000);
      expect(await servedBy(gateway.url, '/x')).toBe('echo-b');
    } finally {
      await gateway?.stop();
      await proxy.stop();
    }
  });
});
