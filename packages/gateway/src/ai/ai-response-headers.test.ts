import { makeUsage } from '@hubpo/ai-providers';
import { HeaderModifier } from '../runtime/header-modifier.js';
import { aiResponseHeaders, formatUsd } from './ai-response-headers.js';
import type { AIResponseHeaderInput } from './ai-response-headers.js';

function input(overrides: Partial<AIResponseHeaderInput> = {}): AIResponseHeaderInput {
  return {
    requestId: 'r-1',
    contentType: 'application/json',
    model: 'chat',
    target: { name: 'primary', provider: 'openai' },
    warnings: [],
    usage: makeUsage({ inputTokens: 12, outputTokens: 5 }),
    cost: { costMicroUsd: 4.8, priced: true },
    unpriced: false,
    streaming: false,
    ...overrides,
  };
}

function asObject(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

describe('aiResponseHeaders', () => {
  it('names the request, model, target, provider, tokens and cost of a non-streaming answer', () => {
    expect(asObject(aiResponseHeaders(input(), null, null))).toEqual({
      'content-type': 'application/json',
      'x-request-id': 'r-1',
      'cache-control': 'no-store',
      'x-hubpo-model': 'chat',
      'x-hubpo-target': 'primary',
      'x-hubpo-provider': 'openai',
      'x-hubpo-tokens-input': '12',
      'x-hubpo-tokens-output': '5',
      'x-hubpo-cost-usd': '0.0000048',
    });
  });

  it('flags an unpriced target instead of showing $0, and estimated tokens', () => {
    const headers = asObject(
      aiResponseHeaders(
        input({
          unpriced: true,
          cost: { costMicroUsd: 0, priced: false },
          usage: makeUsage({ inputTokens: 3, estimated: true }),
        }),
        null,
        null,
      ),
    );
    expect(headers['x-hubpo-cost-unpriced']).toBe('true');
    expect(headers['x-hubpo-cost-usd']).toBeUndefined();
    expect(headers['x-hubpo-tokens-estimated']).toBe('true');
  });

  it('streams: no tokens or cost (unknown when headers go out), no caching by proxies', () => {
    const headers = asObject(
      aiResponseHeaders(input({ streaming: true, usage: null, cost: null }), null, null),
    );
    expect(headers['x-hubpo-tokens-input']).toBeUndefined();
    expect(headers['x-hubpo-cost-usd']).toBeUndefined();
    expect(headers['cache-control']).toBe('no-cache');
    expect(headers['x-accel-buffering']).toBe('no');
  });

  it('lists dropped features, appends rate-limit headers, and lets the rule modifier override', () => {
    const modifier = new HeaderModifier({
      set: [{ name: 'x-hubpo-provider', value: 'hidden' }],
      add: [],
      remove: ['x-hubpo-target'],
    });
    const headers = asObject(
      aiResponseHeaders(input({ warnings: ['logprobs', 'seed'] }), ['ratelimit-remaining', '9'], modifier),
    );
    expect(headers['x-hubpo-warnings']).toBe('logprobs, seed');
    expect(headers['ratelimit-remaining']).toBe('9');
    expect(headers['x-hubpo-provider']).toBe('hidden');
    expect(headers['x-hubpo-target']).toBeUndefined();
  });
});

describe('formatUsd', () => {
  it('renders micro-dollars as a plain decimal', () => {
    expect(formatUsd(1.5)).toBe('0.0000015');
    expect(formatUsd(1_234_567)).toBe('1.234567');
    expect(formatUsd(0)).toBe('0');
    expect(formatUsd(0.000001)).toBe('0.000000000001');
  });
});
