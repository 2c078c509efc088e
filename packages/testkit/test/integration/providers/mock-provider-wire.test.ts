import { HubpoError } from '@hubpo/core';
import { choiceText } from '@hubpo/ai-providers';
import { MOCK_PROVIDER_KINDS, startMockProvider } from '@hubpo/testkit';
import type { MockProviderKind, MockProviderServer } from '@hubpo/testkit';
import { API_KEY, chatRequest, complete, stream, usageOf } from './adapter-client.js';

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

/** What each provider's wire can report besides plain input and output tokens. */
const REPORTS: Record<MockProviderKind, { cacheRead: boolean; cacheWrite: boolean; reasoning: boolean }> = {
  openai: { cacheRead: true, cacheWrite: false, reasoning: true },
  'azure-openai': { cacheRead: true, cacheWrite: false, reasoning: true },
  'openai-compatible': { cacheRead: true, cacheWrite: false, reasoning: true },
  mistral: { cacheRead: false, cacheWrite: false, reasoning: false },
  anthropic: { cacheRead: true, cacheWrite: true, reasoning: false },
  gemini: { cacheRead: true, cacheWrite: false, reasoning: true },
  bedrock: { cacheRead: true, cacheWrite: true, reasoning: false },
  cohere: { cacheRead: true, cacheWrite: false, reasoning: false },
};

describe.each(MOCK_PROVIDER_KINDS)('mock %s server, decoded by its ai-providers adapter', (kind) => {
  let server: MockProviderServer;

  beforeAll(async () => {
    server = await startMockProvider(kind, { apiKey: API_KEY });
  });
  afterEach(() => server.reset());
  afterAll(() => server.stop());

  it('answers a completion with the last user text and its own token count', async () => {
    const req = chatRequest({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Bonjour, comment ça va ?' },
      ],
    });
    const res = await complete(server, req);
    expect(choiceText(res.choices[0]!)).toBe('Bonjour, comment ça va ?');
    expect(res.choices[0]!.finish.reason).toBe('stop');
    expect(server.usage).toHaveLength(1);
    expect(server.usage[0]).toMatchObject({ stream: false, completed: true, reported: true });
    expect(server.usage[0]!.inputTokens).toBeGreaterThan(5);
    expect(res.usage).toEqual(usageOf(server.usage[0]));
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]!.status).toBe(200);
  });

  it('streams the same answer chunk by chunk, with usage the adapter reads from the stream', async () => {
    const text = 'one two three four five six seven';
    const result = await stream(server, chatRequest({ messages: [{ role: 'user', content: text }] }));
    expect(result.accumulator.error).toBeUndefined();
    expect(choiceText(result.response!.choices[0]!)).toBe(text);
    expect(result.chunks).toBeGreaterThan(1); // written piece by piece, not as one body
    expect(server.usage[0]).toMatchObject({ stream: true, completed: true });
    expect(result.response!.usage).toEqual(usageOf(server.usage[0]));
  });

  it('cuts the answer at max_tokens and says so', async () => {
    const req = chatRequest({
      max_tokens: 3,
      messages: [{ role: 'user', content: 'alpha beta gamma delta epsilon zeta eta theta' }],
    });
    const res = await complete(server, req);
    expect(res.choices[0]!.finish.reason).toBe('length');
    expect(server.usage[0]!.outputTokens).toBe(3);
    expect(res.usage.outputTokens).toBe(3);
  });

  it('calls the offered tool when the user asks for it, streamed or not', async () => {
    const body = {
      messages: [{ role: 'user', content: 'Please call the tool for Paris' }],
      tools: [weatherTool],
    };
    const res = await complete(server, chatRequest(body));
    const call = res.choices[0]!.content.find((p) => p.kind === 'tool_call');
    expect(call).toMatchObject({ kind: 'tool_call', name: 'get_weather' });
    expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({
      input: 'Please call the tool for Paris',
    });
    expect(res.choices[0]!.finish.reason).toBe('tool_calls');

    const streamed = await stream(server, chatRequest(body));
    const streamedCall = streamed.response!.choices[0]!.content.find((p) => p.kind === 'tool_call');
    expect(streamedCall).toMatchObject({
      name: 'get_weather',
      arguments: (call as { arguments: string }).arguments,
    });
    expect(streamed.response!.usage).toEqual(usageOf(server.usage[1]));
  });

  it('does not call a tool the user did not ask for', async () => {
    const res = await complete(
      server,
      chatRequest({ messages: [{ role: 'user', content: 'What is the weather?' }], tools: [weatherTool] }),
    );
    expect(res.choices[0]!.content.some((p) => p.kind === 'tool_call')).toBe(false);
    expect(choiceText(res.choices[0]!)).toBe('What is the weather?');
  });

  it('reports configured cache and reasoning tokens where the provider can', async () => {
    const cached = await startMockProvider(kind, {
      cachedInputTokens: 4,
      cacheWriteTokens: 2,
      reasoningTokens: 5,
    });
    try {
      const req = chatRequest({
        messages: [{ role: 'user', content: 'a prompt long enough to cache a part of it' }],
      });
      const res = await complete(cached, req);
      const streamed = await stream(cached, req);
      const reports = REPORTS[kind];
      for (const usage of [res.usage, streamed.response!.usage]) {
        expect(usage.cachedInputTokens).toBe(reports.cacheRead ? 4 : 0);
        expect(usage.cacheWriteInputTokens).toBe(reports.cacheWrite ? 2 : 0);
        expect(usage.reasoningTokens).toBe(reports.reasoning ? 5 : 0);
      }
      expect(res.usage).toEqual(usageOf(cached.usage[0]));
      expect(streamed.response!.usage).toEqual(usageOf(cached.usage[1]));
    } finally {
      await cached.stop();
    }
  });

  it('fails the next calls with the provider error shape the adapter maps', async () => {
    server.failNext(1, { status: 429, retryAfter: 2 });
    server.failNext(1, { status: 503 });
    const req = chatRequest({ messages: [{ role: 'user', content: 'hi' }] });
    const limited = await complete(server, req).catch((err: unknown) => err);
    expect(HubpoError.is(limited, 'PROVIDER_RATE_LIMITED')).toBe(true);
    expect((limited as HubpoError).details).toMatchObject({ retryAfterMs: 2000 });
    const unavailable = await complete(server, req).catch((err: unknown) => err);
    expect(HubpoError.is(unavailable, 'UNAVAILABLE')).toBe(true);
    const ok = await complete(server, req);
    expect(choiceText(ok.choices[0]!)).toBe('hi');
    expect(server.calls.map((c) => c.status)).toEqual([429, 503, 200]);
    expect(server.usage).toHaveLength(1);
  });

  it('rejects a wrong credential the way the provider does', async () => {
    const err = await complete(
      server,
      chatRequest({ messages: [{ role: 'user', content: 'hi' }] }),
      'wrong',
    ).catch((e: unknown) => e);
    expect(HubpoError.is(err, 'PROVIDER_AUTH')).toBe(true);
    expect(server.usage).toHaveLength(0);
  });
});
