import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  createGateway,
  createGatewayTelemetry,
  createUsageSink,
  loadGatewayConfig,
  loadUsageSinkConfig,
} from '@hubpo/gateway';
import type { Gateway, ProcessUsageSink, UsageRecord } from '@hubpo/gateway';
import { pino } from 'pino';
import { aiConsumer, aiRoute, keyPolicy } from './ai/ai-resources.js';
import { ok } from './support/admin-client.js';
import { eventually, httpGet } from './support/eventually.js';
import { Platform } from './support/platform.js';

/** JSON log lines a gateway wrote. */
class Logs extends Writable {
  readonly lines: Record<string, any>[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n'))
      if (line.trim() !== '') this.lines.push(JSON.parse(line));
    done();
  }
  text(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }
}

interface RunningGateway {
  readonly gateway: Gateway;
  readonly usage: ProcessUsageSink;
  readonly logs: Logs;
  stop(): Promise<void>;
}

/**
 * The planes with a shared gRPC bearer token (`HUBPO_GRPC_TOKEN` on both): gateways are built the
 * way `hubpo-gateway` builds itself (environment -> config, usage sink, gateway), in this process.
 * With the token a gateway gets config and its usage records are stored; with a wrong token or
 * none, the control plane refuses both its config stream and its usage reports, and the gateway
 * says so in its logs and on `/config` and stays not ready.
 */
describe('gRPC between the planes with a shared bearer token', () => {
  const TOKEN = randomBytes(24).toString('hex');
  const KEY = 'token-e2e-key-0123456789abcdef';
  const tmp = mkdtempSync(join(tmpdir(), 'hubpo-e2e-grpc-token-'));
  const running: RunningGateway[] = [];
  let platform: Platform;

  beforeAll(async () => {
    platform = await Platform.start({ controlPlane: { grpcToken: TOKEN } });
    ok(
      await platform.admin.create({
        apiVersion: 'hubpo.io/v1alpha1',
        kind: 'AIModel',
        metadata: { name: 'chat', namespace: 'default' },
        spec: { targets: [{ name: 'local', provider: 'mock', model: 'mock-1' }] },
      }),
    );
    ok(await platform.admin.create(aiRoute('ai', '/llm')));
    ok(await platform.admin.create(keyPolicy('ai-keys', 'ai')));
    ok(await platform.admin.create(aiConsumer('app', KEY)));
  }, 120_000);

  afterAll(async () => {
    for (const g of running) await g.stop().catch(() => undefined);
    await platform?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  /** A gateway from its environment, as main.ts starts one (timers shortened for the test). */
  async function startGateway(nodeId: string, env: Record<string, string>): Promise<RunningGateway> {
    const fullEnv = {
      HUBPO_NODE_ID: nodeId,
      HUBPO_CLUSTER: 'local',
      HUBPO_CONTROL_PLANE_GRPC: platform.controlPlane!.grpcAddress,
      HUBPO_LISTEN_ADDR: '127.0.0.1:0',
      HUBPO_ADMIN_ADDR: '127.0.0.1:0',
      HUBPO_DATA_DIR: join(tmp, nodeId),
      HUBPO_LOG_LEVEL: 'debug',
      ...env,
    };
    const config = {
      ...loadGatewayConfig(fullEnv),
      timeouts: { reconnectInitialMs: 50, reconnectMaxMs: 300, heartbeatIntervalMs: 1000 },
    };
    const logs = new Logs();
    const logger = pino({ level: 'debug', base: { node: nodeId } }, logs);
    const telemetry = createGatewayTelemetry(config);
    const usage = createUsageSink(loadUsageSinkConfig(fullEnv), config, logger, telemetry);
    const gateway = await createGateway(config, { logger, telemetry, usageSink: usage });
    const handle: RunningGateway = {
      gateway,
      usage,
      logs,
      stop: async () => {
        await gateway.stop();
        await usage.stop(500);
        await telemetry.shutdown();
      },
    };
    running.push(handle);
    return handle;
  }

  const chat = (gateway: Gateway): Promise<Response> =>
    fetch(`${gateway.url}/llm/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hello' }] }),
    });

  const storedIds = async (): Promise<string[]> => {
    const res = await platform.admin.request('GET', '/api/v1/usage?limit=1000');
    if (res.status !== 200) throw new Error(`GET /api/v1/usage: ${res.status}`);
    return (res.body.items as { requestId: string }[]).map((r) => r.requestId);
  };

  /** A usage record as the AI handler would hand it to the sink. */
  const record = (requestId: string): UsageRecord => ({
    requestId,
    startedAtUnixMs: Date.now() - 500,
    finishedAtUnixMs: Date.now(),
    consumer: 'default/app',
    route: 'default/ai',
    model: 'chat',
    provider: 'mock',
    target: 'local',
    inputTokens: 3,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    outputTokens: 2,
    estimated: false,
    costMicros: 0,
    currency: '',
    latencyMs: 500,
    timeToFirstTokenMs: 0,
    statusCode: 200,
    errorCode: '',
    stream: false,
    aborted: false,
    unpriced: true,
  });

  it('gives config to a gateway with the token (from a Secret file) and stores its usage records', async () => {
    const tokenFile = join(tmp, 'grpc-token');
    writeFileSync(tokenFile, `${TOKEN}\n`); // as a mounted Secret created with echo
    const { gateway, usage, logs } = await startGateway('gw-token-ok', { HUBPO_GRPC_TOKEN_FILE: tokenFile });
    await eventually(
      async () => (await httpGet(`${gateway.adminUrl}/readyz`)).status === 200,
      10_000,
      'the gateway with the token to be ready',
    );
    let res: Response | undefined;
    await eventually(
      async () => {
        res = await chat(gateway);
        return res.status === 200;
      },
      10_000,
      'the AI route to serve',
    );
    const requestId = res!.headers.get('x-request-id');
    expect(requestId).not.toBeNull();
    await eventually(
      async () => (await storedIds()).some((id) => id.startsWith(`${requestId}~`)),
      10_000,
      'the usage record of the gateway with the token',
    );
    expect(usage.stats().failures).toBe(0);
    expect(logs.text()).not.toContain(TOKEN);
  });

  it.each([
    ['a wrong token', { HUBPO_GRPC_TOKEN: randomBytes(24).toString('hex') }, /bearer token was refused/],
    ['no token', {}, /requires a gRPC bearer token/],
  ])(
    'keeps a gateway with %s not ready, logs why, and stores none of its usage',
    async (_name, env: Record<string, string>, details) => {
      const nodeId = `gw-token-${Object.keys(env).length === 0 ? 'none' : 'wrong'}`;
      const { gateway, usage, logs } = await startGateway(nodeId, env);
      const refusedId = `refused-${nodeId}-${Date.now()}`;
      usage.record(record(refusedId));

      const refusal = (): Record<string, any>[] =>
        logs.lines.filter(
          (l) => l['msg'] === 'the control plane refused the gRPC token of this gateway; retrying',
        );
      await eventually(async () => refusal().length > 0, 10_000, 'the refused token in the gateway logs');
      expect(refusal()[0]).toMatchObject({
        level: 50, // error
        code: 16, // UNAUTHENTICATED
        details: expect.stringMatching(details),
        hint: expect.stringContaining('HUBPO_GRPC_TOKEN'),
      });
      const status = JSON.parse((await httpGet(`${gateway.adminUrl}/config`)).body);
      expect(String(status.driver.lastError)).toMatch(details);
      // The usage stream is refused too: the record stays buffered, never stored.
      await eventually(async () => usage.stats().failures > 0, 10_000, 'a refused usage report');
      expect(usage.stats().queued + usage.stats().inFlight).toBe(1);

      // Several retries later (backoff at most 300 ms here): still not ready, one error line.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(gateway.ready()).toBe(false);
      expect((await httpGet(`${gateway.adminUrl}/readyz`)).status).toBe(503);
      expect((await chat(gateway)).status).toBe(503);
      expect(refusal().filter((l) => l['level'] === 50)).toHaveLength(1);
      // A refused stream does not pass for a connection (at most the first, before its refusal).
      const connected = logs.lines.filter((l) => l['msg'] === 'connected to the control plane');
      expect(connected.length).toBeLessThanOrEqual(1);
      const later = JSON.parse((await httpGet(`${gateway.adminUrl}/config`)).body);
      expect(later.driver.state).not.toBe('connected');
      expect(String(later.driver.lastError)).toMatch(details);
      expect(await storedIds()).not.toContain(refusedId);
      expect(logs.text()).not.toContain(TOKEN);
      if (env['HUBPO_GRPC_TOKEN'] !== undefined) expect(logs.text()).not.toContain(env['HUBPO_GRPC_TOKEN']);
    },
  );
});
