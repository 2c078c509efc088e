import { rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { createGateway } from '@hubpo/gateway';
import type { Gateway } from '@hubpo/gateway';
import { startEchoServer } from '@hubpo/testkit';
import type { EchoServer } from '@hubpo/testkit';
import { httpRequest, proxyRoute, snapshotOf, tempDataDir, testGatewayConfig } from './gateway-fixtures.js';
import { TestConfigServer } from './test-config-server.js';

/** Far longer than the test may take: a stop that waits for it fails the race below. */
const DRAIN_TIMEOUT_MS = 120_000;

jest.setTimeout(30_000);

/** GET through a keep-alive agent; resolves once the body is read (the socket stays pooled). */
function keepAliveGet(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function connects(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

describe('gateway stop with idle connections', () => {
  let echo: EchoServer;
  let dataDir: string;
  let controlPlane: TestConfigServer;
  let gateway: Gateway | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const silent: Socket[] = [];

  beforeEach(async () => {
    echo = await startEchoServer({ name: 'echo-a' });
    dataDir = await tempDataDir();
    controlPlane = await TestConfigServer.start();
    controlPlane.publish(snapshotOf(1, [proxyRoute('a', '/', echo.url)]));
    const config = testGatewayConfig({ kind: 'grpc', target: controlPlane.target }, dataDir);
    gateway = await createGateway({
      ...config,
      timeouts: { ...config.timeouts, drainTimeoutMs: DRAIN_TIMEOUT_MS },
    });
    await gateway.waitForRevision(1, 10_000);
  });

  afterEach(async () => {
    agent.destroy();
    for (const socket of silent.splice(0)) socket.destroy();
    await gateway?.stop();
    gateway = undefined;
    await controlPlane.stop();
    await echo.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('closes idle keep-alive and never-used connections at once, finishing in-flight requests', async () => {
    const gw = gateway!;
    // A keep-alive connection left idle after a request, as HTTP client pools keep them.
    expect(await keepAliveGet(agent, `${gw.url}/warm`)).toBe(200);
    const pooled = Object.values(agent.freeSockets).flat();
    expect(pooled).toHaveLength(1);
    // A connection that never sends a request (SDK clients open spares, e.g. after an aborted stream).
    const { hostname, port } = new URL(gw.url);
    const spare = connect({ host: hostname, port: Number(port) });
    silent.push(spare);
    spare.on('error', () => undefined);
    await new Promise((resolve) => spare.once('connect', resolve));
    // And a request still running when the stop begins.
    const slow = httpRequest(`${gw.url}/delay/400`);
    await new Promise((resolve) => setTimeout(resolve, 100));

    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      gw.stop().then(() => 'stopped' as const),
      new Promise<'still draining'>((resolve) => {
        timer = setTimeout(() => resolve('still draining'), 15_000);
      }),
    ]);
    clearTimeout(timer);

    expect(outcome).toBe('stopped');
    const finished = await slow;
    expect(finished.status).toBe(200);
    expect(finished.json['server']).toBe('echo-a');
    await closed(pooled[0]!);
    await closed(spare);
  });

  it('answers requests arriving during the drain with connection: close', async () => {
    const gw = gateway!;
    // A request whose head is still on its way when the stop begins (the drain waits for it).
    const { hostname, port } = new URL(gw.url);
    const early = connect({ host: hostname, port: Number(port) });
    silent.push(early);
    early.on('error', () => undefined);
    await new Promise((resolve) => early.once('connect', resolve));
    let response = '';
    early.on('data', (chunk: Buffer) => (response += chunk.toString('latin1')));
    early.write(`GET /during HTTP/1.1\r\nHost: ${hostname}\r\n`);
    const stopping = gw.stop();
    // The listener stops accepting once the drain began; then the request head is completed.
    while (await connects(gw.url)) await new Promise((resolve) => setTimeout(resolve, 5));
    early.write('\r\n');
    await closed(early);

    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toMatch(/\r\nconnection: close\r\n/i);
    await stopping;
  });
});
