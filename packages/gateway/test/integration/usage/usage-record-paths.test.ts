import { startMockProvider } from '@hubpo/testkit';
import type { MockProviderServer } from '@hubpo/testkit';
import type { UsageRecord } from '@hubpo/snapshot';
import { MemoryUsageSink } from '../../../src/ai/index.js';
import {
  apiKeyPolicy,
  consumer,
  prefix,
  proxyRule,
  rateLimitPolicy,
  route,
} from '../../../src/runtime/testdata/config-factories.js';
import { startGateway, startUpstream } from '../runtime/runtime-harness.js';
import type { TestGateway, TestUpstream } from '../runtime/runtime-harness.js';
import { aiModel, aiRule, aiTarget, chatBody, postJson, price } from '../ai/ai-fixtures.js';

/**
 * Every AI request leaves exactly one usage record, whatever ends it: admission refusals (401,
 * 403, 429), the AI handler's own refusals (413, 400, 404), success, every target failing, a
 * client that goes away mid-stream, a first-token timeout. Plain routes leave none.
 *
 * "Exactly one" is checked with a sentinel: after the request under test, a request whose
 * record is written before its response ends; once the sentinel's record is there, anything the
 * request under test would still record (an abort is noticed asynchronously) has been recorded.
 */
describe('one usage record per AI request, on every path', () => {
  const KEY = 'key-app-0123456789abcdef';
  const OUTSIDER = 'key-out-0123456789abcdef';
  const usage = new MemoryUsageSink();
  let primary: MockProviderServer;
  let secondary: MockProviderServer;
  let upstream: TestUpstream;
  let gw: TestGateway;
  let sentinels = 0;

  beforeAll(async () => {
    primary = await startMockProvider('openai');
    secondary = await startMockProvider('openai');
    upstream = await startUpstream((_req, res) => res.end('plain'));
    const targets = (firstTokenMs: number) => ({
      retry: { attempts: 0, backoffMs: 1 },
      timeouts: { requestMs: 30_000, firstTokenMs },
    });
    gw = await startGateway(
      [
        route('default/open', [aiRule(null, { matches: [prefix('/open')] })]),
        route('default/keyed', [aiRule(null, { matches: [prefix('/keyed')] })]),
        route('default/limited', [aiRule(null, { matches: [prefix('/limited')] })]),
        route('default/plain', [proxyRule([upstream.url], { matches: [prefix('/plain')] })]),
        apiKeyPolicy('default/keys', ['default/keyed', 'default/limited', 'default/plain']),
        rateLimitPolicy('default/one', [{ kind: 'route', id: 'default/limited' }], {
          requests: 1,
          windowMs: 3_600_000,
        }),
        consumer('default/app', [KEY]),
        consumer('default/outsider', [OUTSIDER], { allowedRoutes: ['default/open'] }),
        aiModel('chat', [aiTarget('local', 'mock', { pricing: [price(1, 2)] })]),
        aiModel(
          'fallback',
          [
            aiTarget('primary', 'openai', { model: 'm', endpoint: primary.endpoint, priority: 0 }),
            aiTarget('secondary', 'openai', { model: 'm', endpoint: secondary.endpoint, priority: 1 }),
          ],
          targets(150),
        ),
        aiModel(
          'single',
          [aiTarget('primary', 'openai', { model: 'm', endpoint: primary.endpoint })],
          targets(150),
        ),
      ],
      { ai: { usageSink: usage, maxBodyBytes: 1024 } },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await primary?.stop();
    await secondary?.stop();
  });
  beforeEach(() => {
    primary.reset();
    secondary.reset();
    usage.clear();
  });

  /** Every record of the request sent with `x-request-id: id`, once the sentinel's record arrived. */
  async function recordsOf(id: string): Promise<UsageRecord[]> {
    const sentinel = `sentinel-${++sentinels}`;
    const res = await postJson(`${gw.url}/open/v1/chat/completions`, chatBody('x', { model: 'nope' }), {
      'x-request-id': sentinel,
    });
    expect(res.status).toBe(404);
    await res.text();
    for (;;) {
      if (usage.records.some((r) => r.requestId.startsWith(`${sentinel}~`))) break;
      await usage.waitFor(usage.records.length + 1);
    }
    return usage.records.filter((r) => r.requestId.startsWith(`${id}~`));
  }

  async function post(path: string, id: string, body: string, headers: Record<string, string> = {}) {
    const res = await postJson(`${gw.url}${path}`, body, { 'x-request-id': id, ...headers });
    await res.text();
    return res;
  }

  const refused = (statusCode: number, errorCode: string, extra: Partial<UsageRecord> = {}) => ({
    statusCode,
    errorCode,
    model: '',
    provider: '',
    target: '',
    inputTokens: 0,
    outputTokens: 0,
    costMicros: 0,
    unpriced: false,
    stream: false,
    aborted: false,
    ...extra,
  });

  describe('refused before the AI handler (admission)', () => {
    it('401 without a key and with an unknown key: one record each, no consumer', async () => {
      expect((await post('/keyed/v1/chat/completions', 'no-key', chatBody('hi'))).status).toBe(401);
      const bad = await post('/keyed/v1/messages', 'bad-key', chatBody('hi'), { 'x-api-key': 'wrong' });
      expect(bad.status).toBe(401);
      const [noKey] = await recordsOf('no-key');
      expect(noKey).toMatchObject(
        refused(401, 'HUBPO_ERR_UNAUTHENTICATED', { consumer: '', route: 'default/keyed' }),
      );
      expect(await recordsOf('no-key')).toHaveLength(1);
      expect(await recordsOf('bad-key')).toEqual([
        expect.objectContaining(refused(401, 'HUBPO_ERR_UNAUTHENTICATED', { consumer: '' })),
      ]);
    });

    it('403 for a consumer not allowed on the route: the record names the consumer', async () => {
      const res = await post('/keyed/v1/embeddings', 'forbidden', '{"model":"chat","input":"x"}', {
        authorization: `Bearer ${OUTSIDER}`,
      });
      expect(res.status).toBe(403);
      expect(await recordsOf('forbidden')).toEqual([
        expect.objectContaining(
          refused(403, 'HUBPO_ERR_FORBIDDEN', { consumer: 'default/outsider', route: 'default/keyed' }),
        ),
      ]);
    });

    it('429 when rate limited: one record with the consumer, the admitted call its own', async () => {
      const auth = { authorization: `Bearer ${KEY}` };
      expect((await post('/limited/v1/chat/completions', 'first', chatBody('hi'), auth)).status).toBe(200);
      expect((await post('/limited/v1/chat/completions', 'limited', chatBody('hi'), auth)).status).toBe(429);
      expect(await recordsOf('first')).toEqual([expect.objectContaining({ statusCode: 200, model: 'chat' })]);
      expect(await recordsOf('limited')).toEqual([
        expect.objectContaining(
          refused(429, 'HUBPO_ERR_RATE_LIMITED', { consumer: 'default/app', route: 'default/limited' }),
        ),
      ]);
    });

    it('no record for refused calls that would not record when admitted, nor for plain routes', async () => {
      const models = await fetch(`${gw.url}/keyed/v1/models`, { headers: { 'x-request-id': 'models' } });
      expect(models.status).toBe(401);
      await models.text();
      const count = await post('/keyed/v1/messages/count_tokens', 'count', chatBody('hi'));
      expect(count.status).toBe(401);
      const plainRefused = await post('/plain/x', 'plain-401', 'body');
      expect(plainRefused.status).toBe(401);
      const plainServed = await post('/plain/x', 'plain-200', 'body', { authorization: `Bearer ${KEY}` });
      expect(plainServed.status).toBe(200);
      for (const id of ['models', 'count', 'plain-401', 'plain-200']) expect(await recordsOf(id)).toEqual([]);
    });
  });

  describe('refused by the AI handler', () => {
    it('413 body too large, 400 unreadable body, 404 unknown model: one record each', async () => {
      const big = await post('/open/v1/chat/completions', 'too-large', chatBody('x'.repeat(2048)));
      expect(big.status).toBe(413);
      const garbled = await post('/open/v1/chat/completions', 'garbled', '{not json');
      expect(garbled.status).toBe(400);
      const unknown = await post('/open/v1/chat/completions', 'unknown', chatBody('hi', { model: 'nope' }));
      expect(unknown.status).toBe(404);
      expect(await recordsOf('too-large')).toEqual([
        expect.objectContaining(refused(413, 'HUBPO_ERR_PAYLOAD_TOO_LARGE', { route: 'default/open' })),
      ]);
      expect(await recordsOf('garbled')).toEqual([
        expect.objectContaining({ statusCode: 400, model: '', inputTokens: 0, costMicros: 0 }),
      ]);
      expect((await recordsOf('garbled'))[0]!.errorCode).toMatch(/^HUBPO_ERR_/);
      expect(await recordsOf('unknown')).toEqual([
        expect.objectContaining(refused(404, 'HUBPO_ERR_MODEL_NOT_FOUND', { model: 'nope' })),
      ]);
    });
  });

  describe('served or failed upstream', () => {
    it('success, streamed and not: one priced record each', async () => {
      await post('/open/v1/chat/completions', 'ok', chatBody('hello'));
      await post('/open/v1/chat/completions', 'ok-stream', chatBody('hello', { stream: true }));
      const [plain] = await recordsOf('ok');
      const [streamed] = await recordsOf('ok-stream');
      expect(await recordsOf('ok')).toHaveLength(1);
      expect(await recordsOf('ok-stream')).toHaveLength(1);
      expect(plain).toMatchObject({ statusCode: 200, stream: false, unpriced: false, currency: 'USD' });
      expect(streamed).toMatchObject({ statusCode: 200, stream: true, unpriced: false });
      expect(plain!.costMicros).toBeGreaterThan(0);
    });

    it('every target failing (fallback exhausted): one record with the last error', async () => {
      primary.failNext(1, { status: 500 });
      secondary.failNext(1, { status: 503 });
      const res = await post('/open/v1/chat/completions', 'exhausted', chatBody('hi', { model: 'fallback' }));
      expect(res.status).toBeGreaterThanOrEqual(500);
      const records = await recordsOf('exhausted');
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ target: 'secondary', statusCode: res.status, inputTokens: 0 });
      expect(records[0]!.errorCode).toMatch(/^HUBPO_ERR_/);
    });

    it('a client that aborts mid-stream: one aborted record', async () => {
      primary.slowStream(40);
      const res = await postJson(
        `${gw.url}/open/v1/chat/completions`,
        chatBody('one two three four five six seven eight', { model: 'single', stream: true }),
        { 'x-request-id': 'aborted' },
      );
      const reader = res.body!.getReader();
      await reader.read();
      await reader.cancel();
      await usage.waitFor(1);
      const records = await recordsOf('aborted');
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ aborted: true, stream: true, target: 'primary' });
    });

    it('a first-token timeout: one record, naming the fallback that served or the timeout', async () => {
      primary.hang();
      const fellBack = await post(
        '/open/v1/chat/completions',
        'ttft-fallback',
        chatBody('hi', { model: 'fallback', stream: true }),
      );
      expect(fellBack.status).toBe(200);
      const served = await recordsOf('ttft-fallback');
      expect(served).toHaveLength(1);
      expect(served[0]).toMatchObject({ target: 'secondary', statusCode: 200, errorCode: '' });

      primary.hang();
      const timedOut = await post(
        '/open/v1/chat/completions',
        'ttft',
        chatBody('hi', { model: 'single', stream: true }),
      );
      expect(timedOut.status).toBeGreaterThanOrEqual(500);
      const failed = await recordsOf('ttft');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ target: 'primary', statusCode: timedOut.status, stream: true });
      expect(failed[0]!.errorCode).toMatch(/TIMEOUT/);
    });
  });
});
