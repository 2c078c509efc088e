import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startMockProvider } from '@hubpo/testkit';
import type { MockProviderServer } from '@hubpo/testkit';

/*
 * The official SDKs talk straight to the mock servers: if the SDKs parse our answers, streams,
 * errors and lists, the mocks match what real clients expect of OpenAI and Anthropic.
 */

const KEY = 'sk-sdk-test';

describe('the official openai SDK against the mock openai server', () => {
  let server: MockProviderServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startMockProvider('openai', {
      apiKey: KEY,
      models: ['gpt-mock-1', 'gpt-mock-2'],
      cachedInputTokens: 3,
      reasoningTokens: 2,
    });
    client = new OpenAI({ apiKey: KEY, baseURL: server.endpoint, maxRetries: 0 });
  });
  afterEach(() => server.reset());
  afterAll(() => server.stop());

  it('creates a chat completion', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-mock-1',
      messages: [{ role: 'user', content: 'Say something nice' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Say something nice');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const own = server.usage[0]!;
    expect(completion.usage).toMatchObject({
      prompt_tokens: own.inputTokens,
      completion_tokens: own.outputTokens,
      prompt_tokens_details: { cached_tokens: 3 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
    expect(server.calls[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('streams with the final usage chunk when include_usage is set', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-mock-1',
      messages: [{ role: 'user', content: 'stream these five words' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('stream these five words');
    expect(chunks).toBeGreaterThan(4);
    expect(usage?.prompt_tokens).toBe(server.usage[0]!.inputTokens);
    expect(usage?.completion_tokens).toBe(server.usage[0]!.outputTokens);
  });

  it('streams without a usage chunk when the client did not ask', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-mock-1',
      messages: [{ role: 'user', content: 'no usage please' }],
      stream: true,
    });
    const usages: unknown[] = [];
    for await (const chunk of stream) if (chunk.usage) usages.push(chunk.usage);
    expect(usages).toEqual([]);
  });

  it('returns tool calls the SDK parses', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-mock-1',
      messages: [{ role: 'user', content: 'use the tool please' }],
      tools: [
        { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } },
      ],
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    expect(call?.type === 'function' ? call.function.name : undefined).toBe('lookup');
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('creates embeddings (the SDK asks for base64 and decodes it)', async () => {
    const res = await client.embeddings.create({ model: 'embed-mock', input: ['alpha', 'beta'] });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]!.embedding).toHaveLength(8);
    const norm = Math.hypot(...res.data[0]!.embedding);
    expect(norm).toBeCloseTo(1, 5);
    expect(res.usage.prompt_tokens).toBe(server.usage[0]!.inputTokens);
  });

  it('lists models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['gpt-mock-1', 'gpt-mock-2']);
  });

  it('raises the SDK error class of the status', async () => {
    server.failNext(1, { status: 429, message: 'slow down' });
    const err = await client.chat.completions
      .create({ model: 'gpt-mock-1', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as { status?: number; message: string }).status).toBe(429);
    expect((err as { status?: number; message: string }).message).toContain('slow down');
  });

  it('raises an authentication error for a wrong key', async () => {
    const other = new OpenAI({ apiKey: 'wrong', baseURL: server.endpoint, maxRetries: 0 });
    const err = await other.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('the official @anthropic-ai/sdk against the mock anthropic server', () => {
  let server: MockProviderServer;
  let client: Anthropic;

  beforeAll(async () => {
    server = await startMockProvider('anthropic', { apiKey: KEY, cachedInputTokens: 5, cacheWriteTokens: 2 });
    client = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
  });
  afterEach(() => server.reset());
  afterAll(() => server.stop());

  it('creates a message with cache usage', async () => {
    const message = await client.messages.create({
      model: 'claude-mock',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello Claude' }],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'Hello Claude' }]);
    expect(message.stop_reason).toBe('end_turn');
    const own = server.usage[0]!;
    expect(message.usage).toMatchObject({
      input_tokens: own.inputTokens - 5 - 2,
      cache_read_input_tokens: 5,
      cache_creation_input_tokens: 2,
      output_tokens: own.outputTokens,
    });
    // The server requires the key (this SDK version sends it as a bearer token) and the version header.
    expect(server.calls[0]!.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('streams: the SDK accumulates the named events into the final message', async () => {
    const stream = client.messages.stream({
      model: 'claude-mock',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'tell me a short story' }],
    });
    const deltas: string[] = [];
    stream.on('text', (text) => deltas.push(text));
    const message = await stream.finalMessage();
    expect(deltas.join('')).toBe('tell me a short story');
    expect(deltas.length).toBeGreaterThan(3);
    expect(message.content).toHaveLength(1);
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'tell me a short story' });
    expect(message.usage.output_tokens).toBe(server.usage[0]!.outputTokens);
    expect(message.usage.cache_read_input_tokens).toBe(5);
  });

  it('streams a tool call with its JSON input', async () => {
    const stream = client.messages.stream({
      model: 'claude-mock',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'call the tool now' }],
      tools: [
        { name: 'lookup', input_schema: { type: 'object', properties: { input: { type: 'string' } } } },
      ],
    });
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[0]).toMatchObject({
      type: 'tool_use',
      name: 'lookup',
      input: { input: 'call the tool now' },
    });
  });

  it('counts tokens', async () => {
    const count = await client.messages.countTokens({
      model: 'claude-mock',
      messages: [{ role: 'user', content: 'how many tokens is this?' }],
    });
    expect(count.input_tokens).toBeGreaterThan(5);
    // count_tokens counts the same prompt the way a message call reports it (cache included).
    await client.messages.create({
      model: 'claude-mock',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'how many tokens is this?' }],
    });
    expect(server.usage[0]!.inputTokens).toBe(count.input_tokens);
  });

  it('raises the SDK error class for an overloaded server', async () => {
    server.failNext(1, { status: 529, message: 'Overloaded' });
    const err = await client.messages
      .create({ model: 'claude-mock', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as { status?: number; error?: unknown }).status).toBe(529);
    expect((err as { status?: number; error?: unknown }).error).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error' },
    });
  });
});
