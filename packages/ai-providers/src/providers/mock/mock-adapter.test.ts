import { adapters } from '../../adapters.js';
import { StreamAccumulator } from '../../accumulate-stream.js';
import { estimateRequestTokens } from '../../estimate-tokens.js';
import type { ChatRequest } from '../../internal/chat-request.js';
import { mockWireResponse } from './mock-adapter.js';

const ctx = { requestId: 'r1', now: 1_700_000_000_000, credentials: { kind: 'none' as const } };
const req = (text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'demo',
  system: [],
  messages: [{ role: 'user', content: [{ kind: 'text', text }] }],
  tools: [],
  stream: false,
  streamOptions: { includeUsage: false },
  extensions: {},
  ...extra,
});

describe('mock provider', () => {
  const mock = adapters.mock;

  it('echoes the last user message with exact token usage', () => {
    const res = mock.respond(req('Say hello'), ctx);
    expect(res).toMatchObject({ id: 'mock-r1', model: 'demo', created: 1_700_000_000 });
    expect(res.choices[0]!.content).toEqual([{ kind: 'text', text: 'Say hello' }]);
    expect(res.usage).toEqual({
      inputTokens: 3 + 3 + 2,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 0,
      reasoningTokens: 0,
      outputTokens: 2,
      estimated: false,
    });
  });

  it('cuts to max tokens, answers JSON in JSON mode, and calls a forced tool', () => {
    expect(mock.respond(req('one two three four', { maxTokens: 2 }), ctx).choices[0]).toMatchObject({
      content: [{ text: 'one two' }],
      finish: { reason: 'length' },
    });
    expect(
      mock.respond(req('hi', { responseFormat: { kind: 'json_object' } }), ctx).choices[0]!.content,
    ).toEqual([{ kind: 'text', text: '{"echo":"hi"}' }]);
    const tools: ChatRequest['tools'] = [
      { kind: 'function', name: 'lookup', parameters: { type: 'object' } },
    ];
    const res = mock.respond(req('find it', { tools, toolChoice: { kind: 'required' } }), ctx);
    expect(res.choices[0]).toMatchObject({
      content: [{ kind: 'tool_call', name: 'lookup', arguments: '{"input":"find it"}' }],
      finish: { reason: 'tool_calls' },
    });
    expect(res.usage.inputTokens).toBe(
      estimateRequestTokens(req('find it', { tools, toolChoice: { kind: 'required' } })),
    );
  });

  it('streams the same answer it returns whole', () => {
    const r = req('The quick brown fox', { n: 2 });
    const events = mock.respondStream(r, ctx);
    expect(new StreamAccumulator().addAll(events).response()).toEqual(mock.respond(r, ctx));
    expect(events.filter((e) => e.kind === 'text_delta').length).toBeGreaterThan(3);
  });

  it('fails on demand with the upstream error of a status', () => {
    expect(() => mock.respond(req('mock:error:429'), ctx)).toThrow(
      expect.objectContaining({ kind: 'PROVIDER_RATE_LIMITED' }),
    );
    expect(mock.respondStream(req('mock:error:529'), ctx)).toEqual([
      { kind: 'error', error: expect.objectContaining({ kind: 'UNAVAILABLE' }) },
    ]);
    const wire = mockWireResponse(req('mock:error:401'), ctx);
    expect(wire.status).toBe(401);
    expect(mock.parseError(wire.status, wire.headers, wire.body).kind).toBe('PROVIDER_AUTH');
  });

  it('gives deterministic unit vectors', () => {
    const e = { model: 'emb', input: ['a', 'b'], encodingFormat: 'float' as const, extensions: {} };
    const one = mock.respondEmbeddings(e);
    expect(one).toEqual(mock.respondEmbeddings(e));
    expect(one.data).toHaveLength(2);
    expect(Math.hypot(...one.data[0]!.vector)).toBeCloseTo(1, 10);
    expect(one.data[0]!.vector).not.toEqual(one.data[1]!.vector);
  });
});
