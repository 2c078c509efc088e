import { MemoryUsageSink } from '../../../src/ai/index.js';
import { apiKeyPolicy, consumer, prefix, route } from '../../../src/runtime/testdata/config-factories.js';
import { startGateway } from '../runtime/runtime-harness.js';
import type { TestGateway } from '../runtime/runtime-harness.js';
import {
  aiModel,
  aiRule,
  aiTarget,
  chatBody,
  openAIChunks,
  parseSse,
  postJson,
  price,
} from './ai-fixtures.js';

/**
 * The AI ingress end to end on the runtime with the built-in mock provider (no network): both
 * client formats, streams, tools, JSON mode, embeddings, model lists and every error shape.
 */
describe('AI ingress on the built-in mock provider', () => {
  let gw: TestGateway;
  const usage = new MemoryUsageSink();
  const KEY = 'key-app';
  const LIMITED_KEY = 'key-limited';

  beforeAll(async () => {
    gw = await startGateway(
      [
        route('default/ai', [aiRule()]),
        route('default/llm', [aiRule(['chat'], { matches: [prefix('/llm')] })]),
        route('default/keyed', [aiRule(null, { matches: [prefix('/keyed')] })]),
        apiKeyPolicy('default/keys', ['default/keyed']),
        consumer('default/app', [KEY]),
        consumer('default/limited', [LIMITED_KEY], { allowedModels: ['chat'] }),
        aiModel('chat', [aiTarget('mock', 'mock', { pricing: [price(0.15, 0.6)] })]),
        aiModel('free', [aiTarget('mock-free', 'mock')]),
        aiModel('droppy', [aiTarget('mock', 'mock')], { unsupportedFields: 'Drop' }),
        aiModel('limited', [aiTarget('mock', 'mock')], {
          limits: { contextWindow: 40, maxOutputTokens: 50 },
        }),
      ],
      { ai: { usageSink: usage, maxBodyBytes: 64 * 1024 } },
    );
  });
  afterAll(() => gw.close());
  beforeEach(() => usage.clear());

  describe('OpenAI ingress', () => {
    it('answers a chat completion with tokens, cost and the serving target in headers and the record', async () => {
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hello there'), {
        'x-request-id': 'req-1',
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body).toMatchObject({ object: 'chat.completion', model: 'chat' });
      expect(body.choices[0].message).toMatchObject({ role: 'assistant', content: 'hello there' });
      const input = body.usage.prompt_tokens as number;
      const output = body.usage.completion_tokens as number;
      expect(input).toBeGreaterThan(0);
      expect(Object.fromEntries(res.headers)).toMatchObject({
        'x-request-id': 'req-1',
        'x-hubpo-model': 'chat',
        'x-hubpo-target': 'mock',
        'x-hubpo-provider': 'mock',
        'x-hubpo-tokens-input': String(input),
        'x-hubpo-tokens-output': String(output),
      });
      const expectedUsd = (input * 0.15 + output * 0.6) / 1e6;
      expect(Number(res.headers.get('x-hubpo-cost-usd'))).toBeCloseTo(expectedUsd, 12);
      const [rec] = await usage.waitFor(1);
      expect(rec).toMatchObject({
        requestId: expect.stringMatching(/^req-1~/),
        route: 'default/ai',
        model: 'chat',
        target: 'mock',
        provider: 'mock',
        inputTokens: input,
        outputTokens: output,
        estimated: false,
        costMicros: Math.round(input * 0.15 + output * 0.6),
        currency: 'USD',
        statusCode: 200,
        errorCode: '',
        stream: false,
        aborted: false,
      });
    });

    it('streams chat.completion.chunk events, with the usage chunk only when asked', async () => {
      const plain = await postJson(
        `${gw.url}/v1/chat/completions`,
        chatBody('one two three', { stream: true }),
      );
      expect(plain.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(plain.headers.get('x-hubpo-target')).toBe('mock');
      expect(plain.headers.get('x-hubpo-tokens-input')).toBeNull(); // unknown when headers go out
      const text = await plain.text();
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
      const chunks = openAIChunks(text);
      expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('one two three');
      expect(chunks.every((c) => c.usage === undefined)).toBe(true);

      const withUsage = await postJson(
        `${gw.url}/v1/chat/completions`,
        chatBody('one two three', { stream: true, stream_options: { include_usage: true } }),
      );
      const last = openAIChunks(await withUsage.text()).at(-1);
      expect(last.choices).toEqual([]);
      const recs = await usage.waitFor(2);
      expect(last.usage).toMatchObject({
        prompt_tokens: recs[1]!.inputTokens,
        completion_tokens: recs[1]!.outputTokens,
      });
      expect(recs[0]).toMatchObject({ stream: true, aborted: false, statusCode: 200 });
      expect(recs[0]!.outputTokens).toBeGreaterThan(0);
    });

    it('carries tools and tool choice, and JSON mode', async () => {
      const tools = [
        { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } },
      ];
      const res = await postJson(
        `${gw.url}/v1/chat/completions`,
        chatBody('find it', { tools, tool_choice: 'required' }),
      );
      const body = (await res.json()) as any;
      expect(body.choices[0].finish_reason).toBe('tool_calls');
      expect(body.choices[0].message.tool_calls[0].function).toEqual({
        name: 'lookup',
        arguments: JSON.stringify({ input: 'find it' }),
      });
      const json = await postJson(
        `${gw.url}/v1/chat/completions`,
        chatBody('hi', { response_format: { type: 'json_object' }, seed: 7, n: 2, stop: ['x'] }),
      );
      const jsonBody = (await json.json()) as any;
      expect(jsonBody.choices).toHaveLength(2);
      expect(JSON.parse(jsonBody.choices[0].message.content)).toEqual({ echo: 'hi' });
    });

    it('serves embeddings with usage', async () => {
      const res = await postJson(
        `${gw.url}/v1/embeddings`,
        JSON.stringify({ model: 'chat', input: ['a', 'b'] }),
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body).toMatchObject({ object: 'list', model: 'chat' });
      expect(body.data).toHaveLength(2);
      const [rec] = await usage.waitFor(1);
      expect(rec).toMatchObject({
        model: 'chat',
        inputTokens: body.usage.prompt_tokens,
        outputTokens: 0,
        stream: false,
      });
    });

    it('lists the models the caller may use; the rule and the consumer narrow the list', async () => {
      const all = (await (await fetch(`${gw.url}/v1/models`)).json()) as any;
      expect(all.object).toBe('list');
      expect(all.data.map((m: any) => m.id)).toEqual(['chat', 'droppy', 'free', 'limited']);
      const underLlm = (await (await fetch(`${gw.url}/llm/v1/models`)).json()) as any;
      expect(underLlm.data.map((m: any) => m.id)).toEqual(['chat']);
      const limited = (await (
        await fetch(`${gw.url}/keyed/v1/models`, { headers: { authorization: `Bearer ${LIMITED_KEY}` } })
      ).json()) as any;
      expect(limited.data.map((m: any) => m.id)).toEqual(['chat']);
      const one = (await (await fetch(`${gw.url}/v1/models/free`)).json()) as any;
      expect(one).toMatchObject({ id: 'free', object: 'model', owned_by: 'hubpo' });
      expect(usage.records).toHaveLength(0); // model lists call no provider: no usage records
    });

    it('serves under the rule prefix, and the rule only serves the models it lists', async () => {
      const ok = await postJson(`${gw.url}/llm/v1/chat/completions`, chatBody('hi'));
      expect(ok.status).toBe(200);
      const other = await postJson(
        `${gw.url}/llm/v1/chat/completions`,
        JSON.stringify({ model: 'free', messages: [{ role: 'user', content: 'x' }] }),
      );
      expect(other.status).toBe(404);
      expect(((await other.json()) as any).error.code).toBe('model_not_found');
    });

    it('errors come in the OpenAI shape: bad JSON, invalid fields, unknown model, forbidden model', async () => {
      const bad = await postJson(`${gw.url}/v1/chat/completions`, '{"model":');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as any).error).toMatchObject({
        type: 'invalid_request_error',
        code: 'HUBPO_ERR_BAD_REQUEST',
      });
      const invalid = await postJson(
        `${gw.url}/v1/chat/completions`,
        JSON.stringify({ model: 'chat', messages: [] }),
      );
      expect(invalid.status).toBe(400);
      expect(((await invalid.json()) as any).error).toMatchObject({ param: 'messages' });
      const unknown = await postJson(
        `${gw.url}/v1/chat/completions`,
        JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
      );
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as any).error).toMatchObject({
        code: 'model_not_found',
        param: 'model',
      });
      const forbidden = await postJson(
        `${gw.url}/keyed/v1/chat/completions`,
        JSON.stringify({ model: 'free', messages: [{ role: 'user', content: 'x' }] }),
        { authorization: `Bearer ${LIMITED_KEY}` },
      );
      expect(forbidden.status).toBe(403);
      expect(((await forbidden.json()) as any).error).toMatchObject({ type: 'permission_error' });
      // Every chat request leaves a record, failed ones included.
      const recs = await usage.waitFor(4);
      expect(recs.map((r) => r.statusCode)).toEqual([400, 400, 404, 403]);
      expect(recs[2]).toMatchObject({ model: 'nope', errorCode: 'HUBPO_ERR_MODEL_NOT_FOUND', target: '' });
      expect(recs[3]).toMatchObject({
        consumer: 'default/limited',
        errorCode: 'HUBPO_ERR_MODEL_NOT_ALLOWED',
      });
    });

    it('a missing or invalid key is answered in the OpenAI shape', async () => {
      const missing = await postJson(`${gw.url}/keyed/v1/chat/completions`, chatBody('x'));
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="hubpo"');
      expect(((await missing.json()) as any).error).toMatchObject({
        type: 'authentication_error',
        code: 'invalid_api_key',
      });
      const ok = await postJson(`${gw.url}/keyed/v1/chat/completions`, chatBody('x'), {
        authorization: `Bearer ${KEY}`,
      });
      expect(ok.status).toBe(200);
      // The refused call leaves its own record (no consumer), the admitted one names its consumer.
      const recs = await usage.waitFor(2);
      expect(recs.map((r) => [r.statusCode, r.consumer])).toEqual([
        [401, ''],
        [200, 'default/app'],
      ]);
    });

    it('refuses a body over the limit with 413, and an unknown path or method in the OpenAI shape', async () => {
      const big = await postJson(`${gw.url}/v1/chat/completions`, chatBody('x'.repeat(70 * 1024)));
      expect(big.status).toBe(413);
      expect(((await big.json()) as any).error.code).toBe('HUBPO_ERR_PAYLOAD_TOO_LARGE');
      const nowhere = await postJson(`${gw.url}/v1/completions`, '{}');
      expect(nowhere.status).toBe(404);
      const get = await fetch(`${gw.url}/v1/chat/completions`);
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
    });

    it('features a target cannot carry: rejected with a clear error, or dropped with a warning header', async () => {
      const rejected = await postJson(`${gw.url}/v1/chat/completions`, chatBody('x', { logprobs: true }));
      expect(rejected.status).toBe(400);
      expect(((await rejected.json()) as any).error).toMatchObject({ code: 'HUBPO_ERR_UNSUPPORTED_FEATURE' });
      const dropped = await postJson(
        `${gw.url}/v1/chat/completions`,
        JSON.stringify({ model: 'droppy', messages: [{ role: 'user', content: 'x' }], logprobs: true }),
      );
      expect(dropped.status).toBe(200);
      expect(dropped.headers.get('x-hubpo-warnings')).toBe('logprobs');
    });

    it('enforces the model limits before calling anyone', async () => {
      const tooMany = await postJson(
        `${gw.url}/v1/chat/completions`,
        JSON.stringify({ model: 'limited', messages: [{ role: 'user', content: 'x' }], max_tokens: 100 }),
      );
      expect(tooMany.status).toBe(400);
      const tooLong = await postJson(
        `${gw.url}/v1/chat/completions`,
        JSON.stringify({ model: 'limited', messages: [{ role: 'user', content: 'word '.repeat(60) }] }),
      );
      expect(tooLong.status).toBe(400);
      expect(((await tooLong.json()) as any).error.code).toBe('context_length_exceeded');
    });

    it('flags an unpriced model instead of showing $0', async () => {
      const res = await postJson(
        `${gw.url}/v1/chat/completions`,
        JSON.stringify({ model: 'free', messages: [{ role: 'user', content: 'x' }] }),
      );
      expect(res.headers.get('x-hubpo-cost-unpriced')).toBe('true');
      expect(res.headers.get('x-hubpo-cost-usd')).toBeNull();
    });
  });

  describe('Anthropic ingress', () => {
    const headers = { 'anthropic-version': '2023-06-01' };

    it('answers a message with Anthropic usage', async () => {
      const res = await postJson(
        `${gw.url}/v1/messages`,
        JSON.stringify({
          model: 'chat',
          max_tokens: 100,
          system: 'be brief',
          messages: [{ role: 'user', content: 'hello' }],
        }),
        headers,
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body).toMatchObject({
        type: 'message',
        role: 'assistant',
        model: 'chat',
        stop_reason: 'end_turn',
      });
      expect(body.content).toEqual([{ type: 'text', text: 'hello' }]);
      const [rec] = await usage.waitFor(1);
      expect(body.usage).toMatchObject({ input_tokens: rec!.inputTokens, output_tokens: rec!.outputTokens });
    });

    it('streams Anthropic events', async () => {
      const res = await postJson(
        `${gw.url}/v1/messages`,
        JSON.stringify({
          model: 'chat',
          max_tokens: 100,
          stream: true,
          messages: [{ role: 'user', content: 'a b c' }],
        }),
        headers,
      );
      const events = parseSse(await res.text());
      expect(events.map((e) => e.event)).toEqual([
        'message_start',
        'ping',
        'content_block_start',
        'content_block_delta',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      const delta = JSON.parse(events.at(-2)!.data);
      const [rec] = await usage.waitFor(1);
      expect(delta.usage.output_tokens).toBe(rec!.outputTokens);
    });

    it('counts tokens without a provider call or a usage record', async () => {
      const res = await postJson(
        `${gw.url}/v1/messages/count_tokens`,
        JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hello world' }] }),
        headers,
      );
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).input_tokens).toBeGreaterThan(3);
      expect(usage.records).toHaveLength(0);
    });

    it('lists models in the Anthropic shape when the client sends anthropic-version', async () => {
      const list = (await (await fetch(`${gw.url}/v1/models`, { headers })).json()) as any;
      expect(list).toMatchObject({ has_more: false, first_id: 'chat' });
      expect(list.data[0]).toMatchObject({ type: 'model', id: 'chat', display_name: 'chat' });
    });

    it('errors come in the Anthropic shape, gateway errors included', async () => {
      const unknown = await postJson(
        `${gw.url}/v1/messages`,
        JSON.stringify({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
        headers,
      );
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
      const noMax = await postJson(
        `${gw.url}/v1/messages`,
        JSON.stringify({ model: 'chat', messages: [] }),
        headers,
      );
      expect(noMax.status).toBe(400);
      expect(((await noMax.json()) as any).error.type).toBe('invalid_request_error');
      const missingKey = await postJson(
        `${gw.url}/keyed/v1/messages`,
        JSON.stringify({ model: 'chat', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
        headers,
      );
      expect(missingKey.status).toBe(401);
      expect(await missingKey.json()).toMatchObject({
        type: 'error',
        error: { type: 'authentication_error' },
      });
    });
  });
});
