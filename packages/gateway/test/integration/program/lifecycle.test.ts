import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { createGateway } from '@hubpo/gateway';
import type { Gateway, GatewayConfig } from '@hubpo/gateway';
import { startEchoServer } from '@hubpo/testkit';
import type { EchoServer } from '@hubpo/testkit';
import {
  httpRequest,
  proxyRoute,
  servedBy,
  snapshotOf,
  tempDataDir,
  testGatewayConfig,
} from './gateway-fixtures.js';
import { TestConfigServer } from './test-config-server.js';

/** Sends a raw WebSocket upgrade request and returns what the gateway wrote before closing. */
function rawUpgrade(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(
        'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
    });
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

jest.setTimeout(30_000);

describe('gateway listeners and lifecycle', () => {
  let echo: EchoServer;
  let dataDir: string;
  let controlPlane: TestConfigServer;
  let gateway: Gateway | undefined;

  beforeEach(async () => {
    echo = await startEchoServer({ name: 'echo-a' });
    dataDir = await tempDataDir();
    controlPlane = await TestConfigServer.start();
  });

  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    await controlPlane.stop();
    await echo.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (overrides: Partial<GatewayConfig['timeouts']> = {}): Promise<Gateway> => {
    const config = testGatewayConfig({ kind: 'grpc', target: controlPlane.target }, dataDir);
    gateway = await createGateway({ ...config, timeouts: { ...config.timeouts, ...overrides } });
    return gateway;
  };

  it('answers 503 NOT_READY on every request and upgrade before the first config', async () => {
    const gw = await start();
    expect((await httpRequest(`${gw.adminUrl}/healthz`)).status).toBe(200);
    const readyz = await httpRequest(`${gw.adminUrl}/readyz`);
    expect(readyz.status).toBe(503);
    expect(readyz.json).toEqual({ ready: false, revision: null });

    const post = await httpRequest(`${gw.url}/v1/chat/completions`, 'POST');
    expect(post.status).toBe(503);
    expect(post.headers['retry-after']).toBe('1');
    expect((post.json['error'] as { code: string }).code).toBe('HUBPO_ERR_NOT_READY');
    const head = await httpRequest(`${gw.url}/`, 'HEAD');
    expect(head.status).toBe(503);
    expect(head.text).toBe('');
    const upgrade = await rawUpgrade(gw.url);
    expect(upgrade).toMatch(/^HTTP\/1\.1 503 /);
    expect(upgrade).toContain('HUBPO_ERR_NOT_READY');

    const config = await httpRequest(`${gw.adminUrl}/config`);
    expect(config.json).toMatchObject({
      nodeId: 'gw-test-0',
      cluster: 'test-east',
      ready: false,
      revision: null,
      driver: { kind: 'grpc', endpoint: controlPlane.target },
    });
  });

  it('serves admin endpoints: readiness with the revision, metrics, config status, errors', async () => {
    const snapshot = snapshotOf(4, [proxyRoute('a', '/', echo.url)]);
    controlPlane.publish(snapshot);
    const gw = await start();
    await gw.waitForRevision(4, 10_000);

    expect((await httpRequest(`${gw.adminUrl}/readyz`)).json).toEqual({ ready: true, revision: 4 });
    const metrics = await httpRequest(`${gw.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^hubpo_config_revision\{[^}]*\} 4$/m);
    const config = await httpRequest(`${gw.adminUrl}/config`);
    expect(config.json).toMatchObject({
      revision: 4,
      hash: snapshot.hash,
      source: 'grpc',
      resources: 1,
      ready: true,
      draining: false,
      driver: { state: 'connected', acks: 1, nacks: 0 },
      lastRejected: null,
    });
    expect(Date.parse(config.json['appliedAt'] as string)).not.toBeNaN();

    expect((await httpRequest(`${gw.adminUrl}/nope`)).json).toEqual({
      error: { code: 'HUBPO_ERR_NOT_FOUND', message: expect.any(String), retryable: false },
    });
    expect((await httpRequest(`${gw.adminUrl}/readyz`, 'POST')).status).toBe(405);
  });

  it('drains in-flight requests on stop while refusing new connections', async () => {
    controlPlane.publish(snapshotOf(1, [proxyRoute('a', '/', echo.url)]));
    const gw = await start();
    await gw.waitForRevision(1, 10_000);

    const slow = httpRequest(`${gw.url}/delay/600`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the request is in flight
    const stopping = gw.stop();

    expect(gw.ready()).toBe(false);
    expect((await httpRequest(`${gw.adminUrl}/readyz`)).status).toBe(503);
    await expect(httpRequest(`${gw.url}/x`)).rejects.toThrow(/ECONNREFUSED/);
    const finished = await slow;
    expect(finished.status).toBe(200);
    expect(finished.json['server']).toBe('echo-a');
    await stopping;
    await expect(httpRequest(`${gw.adminUrl}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('cuts requests still running at the drain deadline', async () => {
    controlPlane.publish(snapshotOf(1, [proxyRoute('a', '/', echo.url)]));
    const gw = await start({ drainTimeoutMs: 200 });
    await gw.waitForRevision(1, 10_000);
    expect(await servedBy(gw.url, '/')).toBe('echo-a');

    const stuck = httpRequest(`${gw.url}/delay/30000`).then(
      (res) => `answered ${res.status}`,
      (err: Error) => err.message,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await gw.stop();
    expect(await stuck).toMatch(/socket hang up|ECONNRESET/);
  });
});
