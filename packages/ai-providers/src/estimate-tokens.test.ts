import { estimateRequestTokens, estimateTokens, estimateUsage } from './estimate-tokens.js';
import type { ChatRequest } from './internal/chat-request.js';

const request = (messages: ChatRequest['messages']): ChatRequest => ({
  model: 'm',
  system: [],
  messages,
  tools: [],
  stream: false,
  streamOptions: { includeUsage: false },
  extensions: {},
});

describe('estimateTokens', () => {
  it('counts o200k_base tokens and treats special-token text as plain text', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('Say hello')).toBe(2);
    expect(estimateTokens('<|endoftext|>')).toBeGreaterThan(1);
  });

  it('adds OpenAI chat framing: 3 per message and 3 to prime the reply', () => {
    const req = request([
      { role: 'system', content: [{ kind: 'text', text: 'You are terse.' }] },
      { role: 'user', content: [{ kind: 'text', text: 'Say hello' }] },
    ]);
    expect(estimateRequestTokens(req)).toBe(3 + (3 + 4) + (3 + 2));
  });

  it('grows with tool definitions and images, and marks usage as estimated', () => {
    const base = request([{ role: 'user', content: [{ kind: 'text', text: 'hi' }] }]);
    const withTools: ChatRequest = {
      ...base,
      tools: [
        {
          kind: 'function',
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
    };
    const withImage = request([
      {
        role: 'user',
        content: [
          { kind: 'text', text: 'hi' },
          { kind: 'image', source: { kind: 'url', url: 'https://x/y.png' } },
        ],
      },
    ]);
    expect(estimateRequestTokens(withTools)).toBeGreaterThan(estimateRequestTokens(base));
    expect(estimateRequestTokens(withImage)).toBe(estimateRequestTokens(base) + 85);
    expect(estimateUsage(base, [{ kind: 'text', text: 'Say hello' }])).toEqual({
      inputTokens: estimateRequestTokens(base),
      cachedInputTokens: 0,
      cacheWriteInputTokens: 0,
      reasoningTokens: 0,
      outputTokens: 2,
      estimated: true,
    });
  });
});
