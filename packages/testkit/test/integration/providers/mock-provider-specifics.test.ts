import { adapters, EventStreamDecoder, parseOpenAIEmbeddingsRequest } from '@hubpo/ai-providers';
import type { ProviderAdapter } from '@hubpo/ai-providers';
import { promptTokens, startMockProvider } from '@hubpo/testkit';
import type { MockProviderKind, MockProviderServer } from '@hubpo/testkit';
import { chatRequest, credentialsFor, stream } from './adapter-client.js';

/** Providers whose adapter has embeddings, and the model each mock is asked for. */
const EMBEDDING_KINDS: readonly (readonly [MockProviderKind, string])[] = [
  ['openai', 'text-embedding-3-small'],
  ['azure-openai', 'embeddings-deployment'],
  ['openai-compatible', 'bge-small'],
  ['mistral', 'mistral-embed'],
  ['gemini', 'text-embedding-004'],
  ['bedrock', 'amazon.titan-embed-text-v2:0'],
  ['bedrock', 'cohere.embed-english-v3'],
  ['cohere', 'embed-v4.0'],
];

describe.each(EMBEDDING_KINDS)('mock %s embeddings (%s)', (kind, model) => {
  let server: MockProviderServer;
  beforeAll(async () => (server = await startMockProvider(kind, { embeddingDimensions: 16 })));
  afterAll(() => server.stop());

  it('returns deterministic unit vectors the adapter decodes', async () => {
    const adapter = adapters[kind] as Required<ProviderAdapter>;
    const input =
      kind === 'bedrock' && model.startsWith('amazon.') ? ['first text'] : ['first text', 'second'];
    const req = parseOpenAIEmbeddingsRequest(Buffer.from(JSON.stringify({ model, input })));
    const send = async (): Promise<ReturnType<ProviderAdapter['parseEmbeddingsResponse'] & object>> => {
      const spec = adapter.buildEmbeddingsRequest(req, server.target(model), {
        credentials: credentialsFor(server),
        requestId: 'r',
        now: Date.now(),
      });
      const res = await fetch(spec.url, { method: spec.method, headers: spec.headers, body: spec.body });
      return adapter.parseEmbeddingsResponse(res.status, {}, new Uint8Array(await res.arrayBuffer()), {
        request: req,
      });
    };
    const first = await send();
    const second = await send();
    expect(first.data).toHaveLength(input.length);
    expect(first.data[0]!.vector).toHaveLength(16);
    expect(Math.hypot(...first.data[0]!.vector)).toBeCloseTo(1, 5);
    expect(second.data).toEqual(first.data);
    expect(first.usage.inputTokens).toBe(server.usage[0]!.inputTokens);
  });
});

describe('provider specifics', () => {
  const servers: MockProviderServer[] = [];
  const start = async (kind: MockProviderKind): Promise<MockProviderServer> => {
    const server = await startMockProvider(kind, { models: ['m-1'] });
    servers.push(server);
    return server;
  };
  afterAll(() => Promise.all(servers.map((s) => s.stop())));

  it('openai: lists models and answers unknown paths with an OpenAI error', async () => {
    const server = await start('openai');
    const models = (await (await fetch(`${server.endpoint}/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['m-1']);
    const missing = await fetch(`${server.endpoint}/nope`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('openai: sends the usage chunk only when stream_options.include_usage is set', async () => {
    const server = await start('openai');
    const post = async (body: Record<string, unknown>): Promise<string[]> => {
      const res = await fetch(`${server.endpoint}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'm-1',
          messages: [{ role: 'user', content: 'hi there' }],
          stream: true,
          ...body,
        }),
      });
      return (await res.text()).split('\n\n').filter((e) => e !== '');
    };
    const withUsage = await post({ stream_options: { include_usage: true } });
    expect(withUsage.at(-1)).toBe('data: [DONE]');
    expect(JSON.parse(withUsage.at(-2)!.slice(6))).toMatchObject({
      choices: [],
      usage: { prompt_tokens: expect.any(Number) },
    });
    const without = await post({});
    expect(without.at(-1)).toBe('data: [DONE]');
    expect(without.some((e) => e.includes('"usage"'))).toBe(false);
  });

  it('azure-openai: takes the model from the deployment and requires api-version', async () => {
    const server = await start('azure-openai');
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
    const url = `${server.url}/openai/deployments/my-gpt/chat/completions`;
    const missing = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: '400' } });
    const ok = await fetch(`${url}?api-version=2024-10-21`, { method: 'POST', body });
    expect(await ok.json()).toMatchObject({ model: 'my-gpt', prompt_filter_results: [expect.any(Object)] });
  });

  it('anthropic: counts tokens like a message call and requires anthropic-version', async () => {
    const server = await start('anthropic');
    const body = { model: 'm-1', system: 'Be brief.', messages: [{ role: 'user', content: 'count me' }] };
    const headers = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
    const count = await fetch(`${server.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    const expected = promptTokens({
      model: 'm-1',
      stream: false,
      includeUsage: false,
      system: ['Be brief.'],
      messages: [{ role: 'user', text: 'count me', texts: ['count me'] }],
      lastUserText: 'count me',
      tools: [],
      toolChoice: { kind: 'auto' },
    });
    expect(await count.json()).toEqual({ input_tokens: expected });
    const noVersion = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify({ ...body, max_tokens: 5 }),
    });
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('anthropic: streams the named events in the documented order', async () => {
    const server = await start('anthropic');
    const res = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'm-1',
        max_tokens: 50,
        stream: true,
        messages: [{ role: 'user', content: 'a b' }],
      }),
    });
    const names = [...(await res.text()).matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('gemini: streamGenerateContent without alt=sse is a JSON array of the same chunks', async () => {
    const server = await start('gemini');
    const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'one two three' }] }] });
    const res = await fetch(`${server.url}/v1beta/models/m-1:streamGenerateContent`, {
      method: 'POST',
      body,
    });
    const chunks = (await res.json()) as { candidates: { content: { parts: { text: string }[] } }[] }[];
    expect(chunks.map((c) => c.candidates[0]!.content.parts[0]!.text).join('')).toBe('one two three');
    const vertex = await fetch(
      `${server.url}/v1/projects/p/locations/us-central1/publishers/google/models/m-1:generateContent`,
      { method: 'POST', body },
    );
    expect(await vertex.json()).toMatchObject({
      candidates: [{ finishReason: 'STOP' }],
      modelVersion: 'm-1',
    });
  });

  it('bedrock: frames ConverseStream in vnd.amazon.eventstream with every event type', async () => {
    const server = await start('bedrock');
    const res = await fetch(`${server.url}/model/anthropic.claude-3-haiku%3A0/converse-stream`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'x y' }] }] }),
    });
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const decoder = new EventStreamDecoder();
    const frames = decoder.push(new Uint8Array(await res.arrayBuffer()));
    expect(frames.map((f) => f.headers[':event-type'])).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    expect(server.usage[0]!.model).toBe('anthropic.claude-3-haiku:0');
  });

  it('cohere: billed_units and the template-inflated raw tokens differ; the adapter bills billed_units', async () => {
    const server = await start('cohere');
    const res = await fetch(`${server.url}/v2/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm-1', messages: [{ role: 'user', content: 'hello' }] }),
    });
    const body = (await res.json()) as {
      usage: { billed_units: { input_tokens: number }; tokens: { input_tokens: number } };
    };
    expect(body.usage.tokens.input_tokens).toBeGreaterThan(body.usage.billed_units.input_tokens);
    expect(body.usage.billed_units.input_tokens).toBe(server.usage[0]!.inputTokens);
    const streamed = await stream(server, chatRequest({ messages: [{ role: 'user', content: 'hello' }] }));
    expect(streamed.response!.usage.inputTokens).toBe(server.usage[1]!.inputTokens);
  });

  it('answers a configured reply instead of the echo', async () => {
    const server = await startMockProvider('mistral', { reply: (chat) => `model ${chat.model} says hi` });
    servers.push(server);
    const res = await fetch(`${server.endpoint}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'mistral-small', messages: [{ role: 'user', content: 'ignored' }] }),
    });
    expect(await res.json()).toMatchObject({
      choices: [{ message: { content: 'model mistral-small says hi' } }],
    });
  });
});
