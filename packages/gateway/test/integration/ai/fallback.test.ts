import type { IncomingMessage, ServerResponse } from 'node:http';
import { refusedUrl, startMockProvider } from '@hubpo/testkit';
import type { MockProviderServer } from '@hubpo/testkit';
import type { AIModelConfig, ConfigObject } from '@hubpo/snapshot';
import { BreakerState, MemoryUsageSink } from '../../../src/ai/index.js';
import type { RuntimeStateOptions } from '../../../src/runtime/index.js';
import { route } from '../../../src/runtime/testdata/config-factories.js';
import { startGateway, startUpstream } from '../runtime/runtime-harness.js';
import type { TestGateway, TestUpstream } from '../runtime/runtime-harness.js';
import { aiModel, aiRule, aiTarget, chatBody, openAIChunks, parseSse, postJson } from './ai-fixtures.js';

/**
 * Routing under failure: fallback in priority order on 429, 5xx, timeouts and refused
 * connections; retries of the same target on 5xx; circuit breakers that open, probe and close
 * (carried across snapshot swaps); streams that fall back only before their first byte.
 */
describe('AI fallback, retries and circuit breaking', () => {
  let primary: MockProviderServer;
  let secondary: MockProviderServer;
  const usage = new MemoryUsageSink();
  const gateways: TestGateway[] = [];
  let now = 0;

  beforeAll(async () => {
    primary = await startMockProvider('openai');
    secondary = await startMockProvider('anthropic');
  });
  afterAll(async () => {
    await primary.stop();
    await secondary.stop();
  });
  beforeEach(() => {
    primary.reset();
    secondary.reset();
    usage.clear();
    now = 0;
  });
  afterEach(async () => {
    for (const gw of gateways.splice(0)) await gw.close();
  });

  function model(overrides: Partial<AIModelConfig> = {}, primaryEndpoint = primary.endpoint): AIModelConfig {
    return aiModel(
      'chat',
      [
        aiTarget('primary', 'openai', { model: 'mock-model', endpoint: primaryEndpoint, priority: 0 }),
        aiTarget('secondary', 'anthropic', {
          model: 'mock-model',
          endpoint: secondary.endpoint,
          priority: 1,
        }),
      ],
      { retry: { attempts: 2, backoffMs: 1 }, ...overrides },
    );
  }

  async function gateway(
    objects: readonly ConfigObject[],
    options: RuntimeStateOptions = {},
  ): Promise<TestGateway> {
    const gw = await startGateway([route('default/ai', [aiRule()]), ...objects], {
      clock: () => now,
      ...options,
      ai: { usageSink: usage, breaker: { failureThreshold: 2, coolDownMs: 10_000 }, ...options.ai },
    });
    gateways.push(gw);
    return gw;
  }

  it('429: moves to the next target at once; the record names the target that answered', async () => {
    const gw = await gateway([model()]);
    primary.failNext(1, { status: 429, retryAfter: 20 });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-hubpo-target')).toBe('secondary');
    expect(primary.calls).toHaveLength(1);
    expect(secondary.calls).toHaveLength(1);
    const [rec] = await usage.waitFor(1);
    expect(rec).toMatchObject({ target: 'secondary', provider: 'anthropic', statusCode: 200 });
    expect(rec!.inputTokens).toBe(secondary.usage[0]!.inputTokens);
  });

  it('500: retries the same target (retry.attempts), then falls back', async () => {
    const gw = await gateway([model()], { ai: { breaker: { failureThreshold: 10, coolDownMs: 10_000 } } });
    primary.failNext(3, { status: 500 });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
    expect(res.status).toBe(200);
    expect(primary.calls).toHaveLength(3);
    expect(res.headers.get('x-hubpo-target')).toBe('secondary');
  });

  it('500 then success on a retry stays on the primary', async () => {
    const gw = await gateway([model()]);
    primary.failNext(1, { status: 503 });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
    expect(res.headers.get('x-hubpo-target')).toBe('primary');
    expect(primary.calls).toHaveLength(2);
    expect(secondary.calls).toHaveLength(0);
  });

  it('refused connections: falls back', async () => {
    const gw = await gateway([model({}, `${await refusedUrl()}/v1`)]);
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-hubpo-target')).toBe('secondary');
    const [rec] = await usage.waitFor(1);
    expect(rec!.target).toBe('secondary');
  });

  it('a hung stream: the first-token timeout falls back', async () => {
    const gw = await gateway([model({ timeouts: { requestMs: 30_000, firstTokenMs: 150 } })]);
    primary.hang();
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi', { stream: true }));
    const chunks = openAIChunks(await res.text());
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('hi');
    expect(res.headers.get('x-hubpo-target')).toBe('secondary');
  });

  it('a stream that stalls after its headers (no token) also falls back before anything was sent', async () => {
    const gw = await gateway([model({ timeouts: { requestMs: 30_000, firstTokenMs: 150 } })]);
    primary.hang({ afterChunks: 1 }); // the role chunk only: no answer event
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi', { stream: true }));
    await res.text();
    expect(res.headers.get('x-hubpo-target')).toBe('secondary');
  });

  it('a hung non-streaming call: the request timeout falls back', async () => {
    const gw = await gateway([model({ timeouts: { requestMs: 200, firstTokenMs: 100 } })]);
    primary.hang();
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-hubpo-target')).toBe('secondary');
  });

  it('every target failing: the last error, in the client format, and a record with the error', async () => {
    const gw = await gateway([model({ retry: { attempts: 0, backoffMs: 1 } })]);
    primary.failNext(1, { status: 500 });
    secondary.failNext(1, { status: 429, retryAfter: 7 });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(((await res.json()) as any).error).toMatchObject({
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
    });
    const [rec] = await usage.waitFor(1);
    expect(rec).toMatchObject({
      statusCode: 429,
      errorCode: 'HUBPO_ERR_PROVIDER_RATE_LIMITED',
      target: 'secondary',
      inputTokens: 0,
    });
  });

  it('a client error is not retried nor failed over', async () => {
    const gw = await gateway([model()]);
    primary.failNext(1, { status: 400, message: 'bad field' });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
    expect(res.status).toBe(400);
    expect(primary.calls).toHaveLength(1);
    expect(secondary.calls).toHaveLength(0);
  });

  it('the circuit breaker opens, skips the target, lets one probe through after the cool-down, and closes', async () => {
    const gw = await gateway([model({ retry: { attempts: 0, backoffMs: 1 } })]);
    primary.failNext(2, { status: 500 });
    for (let i = 0; i < 2; i++) {
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
      expect(res.headers.get('x-hubpo-target')).toBe('secondary');
    }
    const breaker = gw.state.ai.targetState('default/chat/primary')!.breaker;
    expect(breaker.state(now)).toBe(BreakerState.Open);
    // Open: the primary is not even called.
    await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
    expect(primary.calls).toHaveLength(2);
    // The breaker survives a snapshot swap (same target id).
    gw.swap([route('default/ai', [aiRule()]), model({ retry: { attempts: 0, backoffMs: 1 } })]);
    await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
    expect(primary.calls).toHaveLength(2);
    // After the cool-down one probe goes; the primary is healthy again, so it closes.
    now += 10_000;
    const probe = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
    expect(probe.headers.get('x-hubpo-target')).toBe('primary');
    expect(breaker.state(now)).toBe(BreakerState.Closed);
    expect(primary.calls).toHaveLength(3);
  });

  it('every breaker open: 503 HUBPO_ERR_CIRCUIT_OPEN with Retry-After, in the Anthropic shape for Anthropic clients', async () => {
    const gw = await gateway([model({ retry: { attempts: 0, backoffMs: 1 } })]);
    primary.failNext(2, { status: 500 });
    secondary.failNext(2, { status: 500 });
    for (let i = 0; i < 2; i++) await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
    now += 2_500;
    const res = await postJson(
      `${gw.url}/v1/messages`,
      JSON.stringify({ model: 'chat', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      { 'anthropic-version': '2023-06-01' },
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('8');
    expect(((await res.json()) as any).type).toBe('error');
  });

  it('a stream cut after its first byte is not retried: the client gets an error event, the record the tokens so far', async () => {
    const gw = await gateway([model()]);
    primary.cutStream(3);
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      chatBody('alpha beta gamma delta epsilon', { stream: true }),
    );
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"content":"alpha ');
    expect(text).toContain('"error"');
    expect(secondary.calls).toHaveLength(0);
    const [rec] = await usage.waitFor(1);
    expect(rec).toMatchObject({
      target: 'primary',
      statusCode: 200,
      errorCode: 'HUBPO_ERR_UPSTREAM_RESET',
      estimated: true,
    });
    expect(rec!.outputTokens).toBeGreaterThan(0);
    expect(rec!.inputTokens).toBe(primary.usage[0]!.inputTokens);
  });

  describe('with a hand-written upstream', () => {
    let upstream: TestUpstream;
    afterEach(() => upstream?.close());

    it('an Anthropic stream that reports overload right after message_start falls back before the first byte', async () => {
      upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(
          'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"usage":{"input_tokens":9,"output_tokens":1}}}\n\n',
        );
        res.end(
          'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
        );
      });
      const gw = await gateway([
        aiModel(
          'chat',
          [
            aiTarget('flaky', 'anthropic', { endpoint: upstream.url, priority: 0 }),
            aiTarget('secondary', 'anthropic', {
              model: 'mock-model',
              endpoint: secondary.endpoint,
              priority: 1,
            }),
          ],
          { retry: { attempts: 0, backoffMs: 1 } },
        ),
      ]);
      const res = await postJson(
        `${gw.url}/v1/messages`,
        JSON.stringify({
          model: 'chat',
          max_tokens: 20,
          stream: true,
          messages: [{ role: 'user', content: 'hello' }],
        }),
        { 'anthropic-version': '2023-06-01' },
      );
      const events = parseSse(await res.text());
      expect(res.headers.get('x-hubpo-target')).toBe('secondary');
      expect(events.filter((e) => e.event === 'message_start')).toHaveLength(1);
      expect(events.at(-1)!.event).toBe('message_stop');
    });

    it('relays each upstream chunk at once (the client sees the first token while the upstream waits)', async () => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunk = (delta: object, finish: string | null = null): string =>
          `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(chunk({ role: 'assistant', content: 'first' }));
        // The rest only once the client has seen "first": a gateway that buffered would stall here.
        void released.then(() => {
          res.write(chunk({ content: ' second' }));
          res.write(chunk({}, 'stop'));
          res.write(
            `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })}\n\n`,
          );
          res.end('data: [DONE]\n\n');
        });
      });
      const gw = await gateway([
        aiModel('chat', [aiTarget('direct', 'openai-compatible', { endpoint: upstream.url })]),
      ]);
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('x', { stream: true }));
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let seen = '';
      while (!seen.includes('first')) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended early');
        seen += decoder.decode(value, { stream: true });
      }
      release();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += decoder.decode(value, { stream: true });
      }
      expect(seen).toContain(' second');
      const [rec] = await usage.waitFor(1);
      expect(rec).toMatchObject({ inputTokens: 5, outputTokens: 2, estimated: false });
    });
  });

  it('a client that aborts a stream leaves one record: aborted, with the tokens counted so far', async () => {
    const gw = await gateway([model()]);
    primary.slowStream(40);
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      chatBody('one two three four five six seven eight nine ten', { stream: true }),
    );
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('assistant');
    await reader.cancel();
    const [rec] = await usage.waitFor(1);
    expect(rec).toMatchObject({
      aborted: true,
      stream: true,
      statusCode: 200,
      target: 'primary',
      estimated: true,
    });
    expect(rec!.inputTokens).toBe(primary.usage[0]!.inputTokens);
    expect(rec!.outputTokens).toBeLessThan(primary.usage[0]!.outputTokens);
    expect(usage.records).toHaveLength(1);
  });
});
