import type { UsageRecord } from '@hubpo/snapshot';
import { startNats } from '@hubpo/testkit';
import type { NatsProcess } from '@hubpo/testkit';
import { startHarness, startTestPostgres, stopTestPostgres } from '../harness.js';
import type { Harness } from '../harness.js';
import { TestPublisher, usageRecord, waitUntil } from './usage-fixtures.js';

jest.setTimeout(60_000);

const at = (minute: number): number => Date.UTC(2026, 2, 1, 10, minute, 0);

/** The records of the test, fresh every call (one per interesting case). */
function records(): UsageRecord[] {
  return [
    usageRecord({
      requestId: 'r1',
      startedAtUnixMs: at(1),
      consumer: 'team-a',
      model: 'chat',
      target: 'primary',
    }),
    usageRecord({
      requestId: 'r2',
      startedAtUnixMs: at(2),
      consumer: 'team-b',
      model: 'chat',
      target: 'fallback',
      provider: 'anthropic',
      inputTokens: 200,
      cachedInputTokens: 0,
      cacheWriteTokens: 10,
      reasoningTokens: 0,
      outputTokens: 10,
      costMicros: 7,
      stream: true,
      estimated: true,
    }),
    usageRecord({
      requestId: 'r3',
      startedAtUnixMs: at(3),
      consumer: 'team-a',
      model: 'chat',
      target: 'primary',
      inputTokens: 0,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      outputTokens: 0,
      costMicros: 0,
      statusCode: 502,
      errorCode: 'HUBPO_ERR_PROVIDER',
    }),
    usageRecord({
      requestId: 'r4',
      startedAtUnixMs: at(4),
      consumer: 'team-a',
      model: 'claude',
      target: 'primary',
      inputTokens: 30,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      outputTokens: 3,
      costMicros: 0,
      currency: '',
      unpriced: true,
      statusCode: 499,
      errorCode: 'HUBPO_ERR_CLIENT_CLOSED',
      stream: true,
      aborted: true,
    }),
    usageRecord({
      requestId: 'r0',
      startedAtUnixMs: at(0),
      consumer: '',
      model: 'claude',
      target: 'primary',
      inputTokens: 1,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      outputTokens: 1,
      costMicros: 5,
    }),
  ];
}

/** What the summary must say for `group`, from the records themselves (the documented semantics). */
function totals(group: readonly UsageRecord[]): Record<string, unknown> {
  const sum = (f: (r: UsageRecord) => number): number => group.reduce((n, r) => n + f(r), 0);
  const priced = group.filter((r) => !r.unpriced);
  return {
    requests: group.length,
    errors: group.filter((r) => r.errorCode !== '' || r.statusCode >= 400).length,
    aborted: group.filter((r) => r.aborted).length,
    streamed: group.filter((r) => r.stream).length,
    estimated: group.filter((r) => r.estimated).length,
    unpriced: group.length - priced.length,
    tokens: {
      input: sum((r) => r.inputTokens),
      cachedInput: sum((r) => r.cachedInputTokens),
      cacheWrite: sum((r) => r.cacheWriteTokens),
      reasoning: sum((r) => r.reasoningTokens),
      output: sum((r) => r.outputTokens),
    },
    costMicros: priced.length === 0 ? {} : { USD: priced.reduce((n, r) => n + r.costMicros, 0) },
  };
}

describe('usage admin API', () => {
  let nats: NatsProcess;
  let h: Harness;
  const all = records();

  beforeAll(async () => {
    await startTestPostgres();
    nats = await startNats();
    h = await startHarness({ natsUrl: nats.url });
    const publisher = await TestPublisher.connect(nats.url);
    for (const r of all) await publisher.publish(r, r.requestId === 'r2' ? 'us-east' : 'eu-west');
    await publisher.close();
    await waitUntil(async () => (await h.api('GET', '/api/v1/usage')).body.items?.length === all.length);
  });
  afterAll(async () => {
    await h.stop();
    await nats.stop();
    await stopTestPostgres();
  });

  it('lists records newest first, as the gateways sent them', async () => {
    const res = await h.api('GET', '/api/v1/usage');
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: { requestId: string }) => i.requestId)).toEqual([
      'r4',
      'r3',
      'r2',
      'r1',
      'r0',
    ]);
    expect(res.body.metadata).toEqual({});
    const r2 = res.body.items[2];
    expect(r2).toMatchObject({
      requestId: 'r2',
      cluster: 'us-east',
      startedAt: new Date(at(2)).toISOString(),
      consumer: 'team-b',
      model: 'chat',
      provider: 'anthropic',
      target: 'fallback',
      tokens: { input: 200, cachedInput: 0, cacheWrite: 10, reasoning: 0, output: 10 },
      estimated: true,
      priced: true,
      unpriced: false,
      costMicros: 7,
      currency: 'USD',
      statusCode: 200,
      errorCode: null,
      stream: true,
      aborted: false,
    });
    expect(res.body.items[0]).toMatchObject({
      requestId: 'r4',
      priced: false,
      unpriced: true,
      aborted: true,
      errorCode: 'HUBPO_ERR_CLIENT_CLOSED',
    });
  });

  it('filters by consumer, model, target and time, and pages with a continue token', async () => {
    const first = await h.api('GET', '/api/v1/usage?consumer=team-a&limit=2');
    expect(first.body.items.map((i: { requestId: string }) => i.requestId)).toEqual(['r4', 'r3']);
    const token = first.body.metadata.continue as string;
    expect(typeof token).toBe('string');
    const second = await h.api('GET', `/api/v1/usage?consumer=team-a&limit=2&continue=${token}`);
    expect(second.body.items.map((i: { requestId: string }) => i.requestId)).toEqual(['r1']);
    expect(second.body.metadata).toEqual({});
    const reused = await h.api('GET', `/api/v1/usage?consumer=team-b&limit=2&continue=${token}`);
    expect(reused.status).toBe(400);
    expect(reused.body.issues).toEqual([expect.objectContaining({ path: 'continue' })]);

    const claude = await h.api('GET', '/api/v1/usage?model=claude&target=primary');
    expect(claude.body.items.map((i: { requestId: string }) => i.requestId)).toEqual(['r4', 'r0']);
    const window = await h.api(
      'GET',
      `/api/v1/usage?since=${new Date(at(1)).toISOString()}&until=${new Date(at(3)).toISOString()}`,
    );
    expect(window.body.items.map((i: { requestId: string }) => i.requestId)).toEqual(['r2', 'r1']);
  });

  it('sums requests, tokens by kind, cost, unpriced and errors per model', async () => {
    const res = await h.api('GET', '/api/v1/usage/summary?groupBy=model');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      groupBy: 'model',
      since: null,
      until: null,
      items: [
        { key: { model: 'chat' }, ...totals(all.filter((r) => r.model === 'chat')) },
        { key: { model: 'claude' }, ...totals(all.filter((r) => r.model === 'claude')) },
      ],
      total: totals(all),
    });
  });

  it('groups targets within their model, and by consumer within a time window', async () => {
    const targets = await h.api('GET', '/api/v1/usage/summary?groupBy=target');
    expect(targets.body.items.map((i: { key: unknown; requests: number }) => [i.key, i.requests])).toEqual([
      [{ model: 'chat', target: 'fallback' }, 1],
      [{ model: 'chat', target: 'primary' }, 2],
      [{ model: 'claude', target: 'primary' }, 2],
    ]);
    const since = new Date(at(1)).toISOString();
    const consumers = await h.api('GET', `/api/v1/usage/summary?groupBy=consumer&since=${since}`);
    const recent = all.filter((r) => r.startedAtUnixMs >= at(1));
    expect(consumers.body).toMatchObject({ groupBy: 'consumer', since, until: null });
    expect(consumers.body.items).toEqual([
      { key: { consumer: 'team-a' }, ...totals(recent.filter((r) => r.consumer === 'team-a')) },
      { key: { consumer: 'team-b' }, ...totals(recent.filter((r) => r.consumer === 'team-b')) },
    ]);
    expect(consumers.body.total).toEqual(totals(recent));
  });

  it('rejects bad parameters naming each, and calls without the token', async () => {
    const bad = await h.api('GET', '/api/v1/usage?limit=0&since=yesterday&colour=blue');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['colour', 'limit', 'since']);
    const badGroup = await h.api('GET', '/api/v1/usage/summary?groupBy=colour');
    expect(badGroup.status).toBe(400);
    const anonymous = await h.api('GET', '/api/v1/usage/summary', undefined, { authorization: '' });
    expect(anonymous.status).toBe(401);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await h.api('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/usage', '/api/v1/usage/summary']),
    );
    expect(doc.paths['/api/v1/usage'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['consumer', 'model', 'target', 'since', 'until', 'limit', 'continue']),
    );
    expect(doc.components.schemas.UsageSummary).toBeDefined();
  });
});
