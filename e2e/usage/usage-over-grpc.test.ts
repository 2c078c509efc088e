import { GrpcUsageSink, createGatewayLogger } from '@hubpo/gateway';
import { ok } from '../support/admin-client.js';
import { eventually } from '../support/eventually.js';
import { Platform } from '../support/platform.js';
import { aiConsumer, aiRoute, keyPolicy } from '../ai/ai-resources.js';

/**
 * Usage without NATS: a gateway on the gRPC config driver reports its usage records to the
 * control plane over `hubpo.usage.v1.UsageReporting` (same address as ConfigDiscovery), where they
 * are stored in Postgres and served by `/api/v1/usage`. While the control plane is down the
 * gateway keeps serving and buffers the records; once it is back they arrive, each exactly once.
 */
describe('usage records over gRPC (no NATS)', () => {
  const KEY = 'usage-key-0123456789abcdef';
  let platform: Platform;
  let sink: GrpcUsageSink;
  let gatewayUrl: string;

  /** A built-in mock AIModel; `priced: false` leaves its target without a price. */
  const model = (name: string, priced: boolean): any => ({
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'AIModel',
    metadata: { name, namespace: 'default' },
    spec: {
      targets: [
        {
          name: 'local',
          provider: 'mock',
          model: 'mock-1',
          ...(priced ? { pricing: [{ inputPerMTok: 1, outputPerMTok: 2 }] } : {}),
        },
      ],
    },
  });

  const chat = (modelName: string, key: string | null): Promise<Response> =>
    fetch(`${gatewayUrl}/llm/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
      body: JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'hello there' }] }),
    });

  const listUsage = async (): Promise<any[]> => {
    const res = await platform.admin.request('GET', '/api/v1/usage?limit=1000');
    if (res.status !== 200) throw new Error(`GET /api/v1/usage: ${res.status}`);
    return res.body.items as any[];
  };

  beforeAll(async () => {
    platform = await Platform.start(); // no NATS anywhere
    const grpcAddress = platform.controlPlane!.grpcAddress;
    sink = new GrpcUsageSink({
      target: grpcAddress,
      cluster: 'local',
      nodeId: 'gw-usage',
      logger: createGatewayLogger({ nodeId: 'gw-usage', cluster: 'local', logLevel: 'silent' } as never),
      retryInitialMs: 50,
      retryMaxMs: 300,
    });
    sink.start();
    const handle = await platform.startGateway('grpc', 'gw-usage', 'local', { usageSink: sink });
    gatewayUrl = handle.gateway.url;
    ok(await platform.admin.create(model('chat', true)));
    ok(await platform.admin.create(model('free', false)));
    ok(await platform.admin.create(aiRoute('ai', '/llm')));
    ok(await platform.admin.create(keyPolicy('ai-keys', 'ai')));
    ok(await platform.admin.create(aiConsumer('app', KEY)));
    await eventually(async () => (await chat('chat', KEY)).status === 200, 10_000, 'the AI route to serve');
    // That probe left records of its own: wait until they are stored, then count from there.
    await eventually(
      async () => sink.stats().queued + sink.stats().inFlight === 0,
      10_000,
      'the probe records',
    );
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await sink?.stop(1_000);
  }, 60_000);

  it('stores priced, unpriced and refused calls of a gRPC-only gateway in /api/v1/usage', async () => {
    const before = new Set((await listUsage()).map((r) => r.requestId));
    const priced = await chat('chat', KEY);
    const free = await chat('free', KEY);
    const refused = await chat('chat', null);
    expect([priced.status, free.status, refused.status]).toEqual([200, 200, 401]);
    expect(free.headers.get('x-hubpo-cost-unpriced')).toBe('true');
    expect(priced.headers.get('x-hubpo-cost-unpriced')).toBeNull();

    let fresh: any[] = [];
    await eventually(
      async () => {
        fresh = (await listUsage()).filter((r) => !before.has(r.requestId));
        return fresh.length >= 3;
      },
      10_000,
      'three new usage records',
    );
    expect(fresh).toHaveLength(3);
    const byId = (res: Response): any =>
      fresh.find((r) => String(r.requestId).startsWith(`${res.headers.get('x-request-id')}~`));
    expect(byId(priced)).toMatchObject({
      cluster: 'local',
      consumer: 'default/app',
      route: 'default/ai',
      model: 'chat',
      provider: 'mock',
      unpriced: false,
      priced: true,
      currency: 'USD',
      statusCode: 200,
    });
    expect(byId(priced).costMicros).toBeGreaterThan(0);
    expect(byId(free)).toMatchObject({
      model: 'free',
      unpriced: true,
      costMicros: 0,
      currency: '',
      statusCode: 200,
    });
    expect(byId(free).tokens.input).toBeGreaterThan(0);
    expect(byId(refused)).toMatchObject({
      consumer: '',
      route: 'default/ai',
      model: '',
      target: '',
      statusCode: 401,
      errorCode: 'HUBPO_ERR_UNAUTHENTICATED',
      costMicros: 0,
      unpriced: false,
      tokens: { input: 0, cachedInput: 0, cacheWrite: 0, reasoning: 0, output: 0 },
    });

    const summary = await platform.admin.request('GET', '/api/v1/usage/summary?groupBy=model');
    const free1 = summary.body.items.find((i: any) => i.key.model === 'free');
    expect(free1).toMatchObject({ requests: 1, unpriced: 1, costMicros: {} });
  });

  it('buffers while the control plane is down and delivers every record once when it is back', async () => {
    const before = new Set((await listUsage()).map((r) => r.requestId));
    await platform.stopControlPlane();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await chat('chat', KEY)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]); // served from the applied config
    await eventually(async () => sink.stats().failures > 0, 10_000, 'a failed report while the CP is down');
    expect(sink.stats().queued + sink.stats().inFlight).toBe(6);

    await platform.startControlPlane();
    let fresh: any[] = [];
    await eventually(
      async () => {
        fresh = (await listUsage()).filter((r) => !before.has(r.requestId));
        return fresh.length >= 6 && sink.stats().queued + sink.stats().inFlight === 0;
      },
      15_000,
      'the buffered records to be stored',
    );
    expect(fresh).toHaveLength(6);
    expect(new Set(fresh.map((r) => r.requestId)).size).toBe(6);
    expect(fresh.every((r) => r.statusCode === 200 && r.model === 'chat')).toBe(true);
    expect(sink.stats().dropped).toEqual({ queue_full: 0, invalid: 0, shutdown: 0 });
  });
});
