import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createControlPlane, defaultConfig } from '@hubpo/control-plane';
import type { ControlPlane } from '@hubpo/control-plane';
import { createGateway } from '@hubpo/gateway';
import type { Gateway } from '@hubpo/gateway';
import { getFreePort, startMockProvider, startPostgres } from '@hubpo/testkit';
import type { MockProviderServer, PostgresProcess } from '@hubpo/testkit';
import { pino } from 'pino';
import { AdminClient } from '../support/admin-client.js';
import type { AdminResponse } from '../support/admin-client.js';
import { eventually } from '../support/eventually.js';

/**
 * Journey: a platform team stores a provider key through the admin API's write-only secrets,
 * an AIModel (also from the admin API) refers to it with credentialsRef, and the key reaches the
 * provider through a gateway; a change of the secret re-translates the model, a delete leaves
 * the target out. The key never shows in an API response or a log line of either program.
 * Then a Policy allows provider-key pass-through and logs prompts with redaction.
 */
describe('admin-API secrets and AI policies', () => {
  const token = randomBytes(16).toString('hex');
  const secretKey = randomBytes(32).toString('base64');
  const dataplaneKey = randomBytes(32);
  const FIRST = 'sk-admin-first-key-000000001';
  const SECOND = 'sk-admin-second-key-00000002';
  const CLIENT = 'sk-caller-own-key-000000003';
  const tmp = mkdtempSync(join(tmpdir(), 'hubpo-ai-policies-'));
  let logs = '';
  const sink = (): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString('utf8');
        done();
      },
    });
  const responses: string[] = [];
  let postgres: PostgresProcess;
  let cp: ControlPlane;
  let gateway: Gateway;
  let provider: MockProviderServer;
  let admin: AdminClient;

  async function call<T = any>(method: string, path: string, body?: unknown): Promise<AdminResponse<T>> {
    const res = await admin.request<T>(method, path, body);
    responses.push(JSON.stringify(res.body ?? null));
    return res;
  }

  beforeAll(async () => {
    postgres = await startPostgres();
    provider = await startMockProvider('openai');
    const grpcPort = await getFreePort();
    cp = await createControlPlane(
      defaultConfig({
        adminToken: token,
        databaseUrl: await postgres.createDatabase(),
        dataDir: join(tmp, 'cp'),
        adminAddr: '127.0.0.1:0',
        grpcAddr: `127.0.0.1:${grpcPort}`,
        debounceMs: 20,
        maxWaitMs: 500,
        resyncMs: 500,
        logLevel: 'debug',
        secretKey,
        dataplaneKey: dataplaneKey.toString('base64'),
      }),
      { logDestination: sink() },
    );
    admin = new AdminClient(cp.adminUrl, token);
    gateway = await createGateway(
      {
        nodeId: 'gw-0',
        cluster: 'local',
        listen: { host: '127.0.0.1', port: 0 },
        admin: { host: '127.0.0.1', port: 0 },
        driver: { kind: 'grpc', target: `127.0.0.1:${grpcPort}` },
        dataDir: join(tmp, 'gw'),
        logLevel: 'debug',
        timeouts: { reconnectInitialMs: 50, reconnectMaxMs: 300, heartbeatIntervalMs: 1000 },
        dataplaneKey,
      },
      { logger: pino({ level: 'debug' }, sink()) },
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await cp?.stop();
    await provider?.stop();
    await postgres?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const chat = (headers: Record<string, string> = {}, text = 'hello'): Promise<Response> =>
    fetch(`${gateway.url}/llm/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: text }] }),
    });
  const lastAuthorization = (): string | undefined =>
    provider.calls[provider.calls.length - 1]?.headers.authorization;

  it('stores a write-only secret, delivers it to the provider, follows changes and deletes', async () => {
    const created = await call('PUT', '/api/v1/namespaces/default/secrets/openai', {
      data: { apiKey: FIRST },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ namespace: 'default', name: 'openai', keys: ['apiKey'] });
    expect((await call('GET', '/api/v1/namespaces/default/secrets/openai')).body.keys).toEqual(['apiKey']);
    expect((await call('GET', '/api/v1/secrets')).body.items).toHaveLength(1);

    await call('POST', '/api/v1/namespaces/default/routes', {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'Route',
      metadata: { name: 'llm', namespace: 'default' },
      spec: { rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/llm' } }], ai: {} }] },
    });
    await call('POST', '/api/v1/namespaces/default/aimodels', {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'AIModel',
      metadata: { name: 'chat', namespace: 'default' },
      spec: {
        retry: { attempts: 0 },
        targets: [
          {
            name: 'openai',
            provider: 'openai',
            model: 'mock-model',
            endpoint: provider.endpoint,
            credentialsRef: { name: 'openai', key: 'apiKey' },
          },
        ],
      },
    });
    await eventually(async () => (await chat()).status === 200, 5_000, 'the model to serve');
    expect(lastAuthorization()).toBe(`Bearer ${FIRST}`);

    expect(
      (await call('PUT', '/api/v1/namespaces/default/secrets/openai', { data: { apiKey: SECOND } })).status,
    ).toBe(200);
    await eventually(
      async () => (await chat()).status === 200 && lastAuthorization() === `Bearer ${SECOND}`,
      5_000,
      'the changed key to reach the provider',
    );

    expect((await call('DELETE', '/api/v1/namespaces/default/secrets/openai')).status).toBe(204);
    await eventually(
      async () => {
        const model = await call('GET', '/api/v1/namespaces/default/aimodels/chat');
        const resolved = (model.body.status?.conditions ?? []).find((c: any) => c.type === 'ResolvedRefs');
        return resolved?.reason === 'SecretNotFound';
      },
      5_000,
      'ResolvedRefs=False SecretNotFound',
    );
    expect((await call('GET', '/api/v1/namespaces/default/secrets/openai')).status).toBe(404);
    // Put it back for the next journey.
    await call('PUT', '/api/v1/namespaces/default/secrets/openai', { data: { apiKey: FIRST } });
    await eventually(async () => (await chat()).status === 200, 5_000, 'the model to serve again');
  });

  it('refuses invalid secrets with problem+json naming keys, never values, and needs the token', async () => {
    const bad = await call('PUT', '/api/v1/namespaces/default/secrets/bad', {
      data: { 'bad key': 'v', ok: '', big: 'x'.repeat(70_000) },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.issues.map((i: any) => i.path).sort()).toEqual([
      '/data/bad key',
      '/data/big',
      '/data/ok',
    ]);
    expect(JSON.stringify(bad.body)).not.toContain('xxxxxxxx');
    const anonymous = await fetch(`${cp.adminUrl}/api/v1/secrets`);
    expect(anonymous.status).toBe(401);
    const openapi = await call('GET', '/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/secrets', '/api/v1/namespaces/{namespace}/secrets/{name}']),
    );
  });

  it('a Policy lets callers pass their own key through and logs redacted prompts', async () => {
    // Without a policy the caller's key header is ignored.
    await chat({ 'x-hubpo-provider-key': CLIENT });
    expect(lastAuthorization()).toBe(`Bearer ${FIRST}`);
    const policy = await call('POST', '/api/v1/namespaces/default/policies', {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'Policy',
      metadata: { name: 'byok', namespace: 'default' },
      spec: {
        targetRefs: [{ kind: 'AIModel', name: 'chat' }],
        aiCredentials: { passThrough: true },
        aiLogging: { prompts: true, completions: true, redact: ['email'] },
      },
    });
    expect(policy.status).toBe(201);
    await eventually(
      async () => {
        const res = await chat({ 'x-hubpo-provider-key': CLIENT }, 'write to ana@example.com');
        return res.status === 200 && lastAuthorization() === `Bearer ${CLIENT}`;
      },
      5_000,
      'the caller key to reach the provider',
    );
    await eventually(async () => logs.includes('"component":"ai-log"'), 2_000, 'an ai-log line');
    expect(logs).toContain('write to [REDACTED:email]');
    expect(logs).not.toContain('ana@example.com');
  });

  it('no API response and no log line ever held a key', () => {
    for (const key of [FIRST, SECOND, CLIENT]) {
      expect(responses.join('\n')).not.toContain(key);
      expect(logs).not.toContain(key);
    }
    expect(logs.length).toBeGreaterThan(0);
  });
});
