import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGateway, LKG_FILE_NAME } from '@hubpo/gateway';
import type { Gateway } from '@hubpo/gateway';
import { getFreePort, startEchoServer } from '@hubpo/testkit';
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

jest.setTimeout(30_000);

describe('gateway last-known-good snapshot', () => {
  let echo: EchoServer;
  let dataDir: string;
  const gateways: Gateway[] = [];
  const servers: TestConfigServer[] = [];

  beforeEach(async () => {
    echo = await startEchoServer({ name: 'echo-a' });
    dataDir = await tempDataDir();
  });

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.stop()));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    await echo.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function start(target: string): Promise<Gateway> {
    const gateway = await createGateway(testGatewayConfig({ kind: 'grpc', target }, dataDir));
    gateways.push(gateway);
    return gateway;
  }

  /** Runs a gateway until it applied revision 7 from a control plane, then stops both. */
  async function applyAndStop(): Promise<void> {
    const controlPlane = await TestConfigServer.start();
    servers.push(controlPlane);
    controlPlane.publish(snapshotOf(7, [proxyRoute('api', '/', echo.url)]));
    const gateway = await start(controlPlane.target);
    await gateway.waitForRevision(7, 10_000);
    expect(await servedBy(gateway.url, '/hello')).toBe('echo-a');
    await gateway.stop();
    await controlPlane.stop();
  }

  it('serves the stored config immediately after a restart with no control plane', async () => {
    await applyAndStop();
    const unreachable = `127.0.0.1:${await getFreePort()}`;

    const restarted = await start(unreachable);

    // No waiting: ready as soon as createGateway resolved.
    expect(restarted.ready()).toBe(true);
    expect(restarted.revision()).toBe(7);
    const readyz = await httpRequest(`${restarted.adminUrl}/readyz`);
    expect(readyz.status).toBe(200);
    expect(readyz.json).toEqual({ ready: true, revision: 7 });
    expect(await servedBy(restarted.url, '/hello')).toBe('echo-a');
    const config = await httpRequest(`${restarted.adminUrl}/config`);
    expect(config.json).toMatchObject({
      revision: 7,
      source: 'lkg',
      ready: true,
      driver: { kind: 'grpc', endpoint: unreachable },
    });
    expect((config.json['driver'] as { state: string }).state).not.toBe('connected');
  });

  it('resumes from the stored revision with a delta when the control plane is back', async () => {
    await applyAndStop();
    const controlPlane = await TestConfigServer.start();
    servers.push(controlPlane);
    controlPlane.publish(
      snapshotOf(8, [proxyRoute('api', '/', echo.url), proxyRoute('other', '/other', echo.url)]),
    );

    const restarted = await start(controlPlane.target);
    await restarted.waitForRevision(8, 10_000);

    const [initial] = controlPlane.seen('initial');
    expect(initial?.request.revision).toBe(7);
    expect([...(initial?.request.initialResourceVersions.keys() ?? [])]).toEqual(['route/default/api']);
    expect(controlPlane.sent.map((r) => ({ full: r.full, resources: r.resources.length }))).toEqual([
      { full: false, resources: 1 },
    ]);
  });

  it('ignores a corrupt file: not ready until the control plane delivers', async () => {
    await applyAndStop();
    const file = join(dataDir, LKG_FILE_NAME);
    const bytes = await readFile(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await writeFile(file, bytes);

    const controlPlane = await TestConfigServer.start();
    servers.push(controlPlane);
    await controlPlane.stop(); // reachable later, not now
    const gateway = await start(controlPlane.target);

    expect(gateway.ready()).toBe(false);
    expect(gateway.revision()).toBeUndefined();
    expect((await httpRequest(`${gateway.adminUrl}/readyz`)).status).toBe(503);
    const notReady = await httpRequest(`${gateway.url}/hello`);
    expect(notReady.status).toBe(503);
    expect(notReady.headers['content-type']).toMatch(/^application\/json/);
    expect(notReady.json).toEqual({
      error: { code: 'HUBPO_ERR_NOT_READY', message: expect.any(String), retryable: true },
    });

    await controlPlane.restart();
    controlPlane.publish(snapshotOf(9, [proxyRoute('api', '/', echo.url)]));
    await gateway.waitForRevision(9, 10_000);
    expect(await servedBy(gateway.url, '/hello')).toBe('echo-a');
    // It held nothing usable, so it asked for (and got) the full snapshot.
    expect(controlPlane.seen('initial').at(-1)?.request.revision).toBe(0);
    expect(controlPlane.sent.at(-1)?.full).toBe(true);
    // The replaced file is valid again.
    await gateway.stop();
    const again = await start(`127.0.0.1:${await getFreePort()}`);
    expect(again.revision()).toBe(9);
  });
});
