import { makeUsage } from '@hubpo/ai-providers';
import { buildUsageRecord } from './build-usage-record.js';
import type { UsageFacts } from './build-usage-record.js';

function facts(overrides: Partial<UsageFacts> = {}): UsageFacts {
  return {
    requestId: 'req-1',
    startedAtUnixMs: 1_700_000_000_000,
    finishedAtUnixMs: 1_700_000_000_250,
    consumer: 'default/app',
    route: 'default/ai',
    model: 'chat',
    target: { name: 'primary', provider: 'openai' },
    usage: makeUsage({ inputTokens: 100, cachedInputTokens: 40, outputTokens: 20, reasoningTokens: 5 }),
    cost: { costMicroUsd: 27.6, priced: true },
    latencyMs: 250.4,
    timeToFirstTokenMs: 80.2,
    statusCode: 200,
    errorCode: null,
    stream: true,
    aborted: false,
    ...overrides,
  };
}

describe('buildUsageRecord', () => {
  it('a served stream: tokens by kind (ADR 0003), whole micro-dollars, latency and TTFT', () => {
    expect(buildUsageRecord(facts())).toEqual({
      requestId: 'req-1',
      startedAtUnixMs: 1_700_000_000_000,
      finishedAtUnixMs: 1_700_000_000_250,
      consumer: 'default/app',
      route: 'default/ai',
      model: 'chat',
      provider: 'openai',
      target: 'primary',
      inputTokens: 100,
      cachedInputTokens: 40,
      cacheWriteTokens: 0,
      reasoningTokens: 5,
      outputTokens: 20,
      estimated: false,
      costMicros: 28,
      currency: 'USD',
      latencyMs: 250,
      timeToFirstTokenMs: 80,
      statusCode: 200,
      errorCode: '',
      stream: true,
      aborted: false,
      unpriced: false,
    });
  });

  it('a failed call: no tokens, the error code, the last target tried', () => {
    const rec = buildUsageRecord(
      facts({
        usage: null,
        cost: null,
        statusCode: 429,
        errorCode: 'HUBPO_ERR_PROVIDER_RATE_LIMITED',
        stream: false,
        timeToFirstTokenMs: null,
      }),
    );
    expect(rec).toMatchObject({
      inputTokens: 0,
      outputTokens: 0,
      costMicros: 0,
      statusCode: 429,
      target: 'primary',
      timeToFirstTokenMs: 0,
    });
    expect(rec.errorCode).toBe('HUBPO_ERR_PROVIDER_RATE_LIMITED');
  });

  it('an aborted stream: estimated tokens so far, aborted, anonymous consumer', () => {
    const rec = buildUsageRecord(
      facts({
        consumer: null,
        aborted: true,
        usage: makeUsage({ inputTokens: 30, outputTokens: 7, estimated: true }),
      }),
    );
    expect(rec).toMatchObject({
      consumer: '',
      aborted: true,
      estimated: true,
      inputTokens: 30,
      outputTokens: 7,
    });
  });

  it('an unpriced target: flagged, with no cost and no currency (never a silent $0)', () => {
    expect(buildUsageRecord(facts({ cost: { costMicroUsd: 0, priced: false } }))).toMatchObject({
      unpriced: true,
      costMicros: 0,
      currency: '',
    });
  });

  it('a call that used no tokens is not unpriced: its cost is known to be 0', () => {
    expect(buildUsageRecord(facts({ usage: null, cost: null, target: null }))).toMatchObject({
      unpriced: false,
      costMicros: 0,
      currency: 'USD',
      provider: '',
      target: '',
    });
  });
});
