import { decodeUsageRecord, encodeUsageRecord } from './usage-record.js';
import type { UsageRecord } from './usage-record.js';
import { usageV1Descriptor } from './generated/index.js';

const record = (): UsageRecord => ({
  requestId: 'req-01J9',
  startedAtUnixMs: 1_767_225_600_000,
  finishedAtUnixMs: 1_767_225_601_250,
  consumer: 'team-a',
  route: 'default/chat',
  model: 'gpt-default',
  provider: 'openai',
  target: 'primary',
  inputTokens: 1200,
  cachedInputTokens: 800,
  cacheWriteTokens: 64,
  reasoningTokens: 300,
  outputTokens: 450,
  estimated: true,
  costMicros: 12_345,
  currency: 'USD',
  latencyMs: 1250,
  timeToFirstTokenMs: 180,
  statusCode: 499,
  errorCode: 'HUBPO_ERR_REQUEST_TIMEOUT',
  stream: true,
  aborted: true,
  unpriced: false,
});

describe('UsageRecord codec', () => {
  it('round-trips every field', () => {
    const fields = Object.keys(
      usageV1Descriptor.nested.hubpo.nested.usage.nested.v1.nested.UsageRecord.fields,
    );
    expect(Object.keys(record()).sort()).toEqual(fields.sort());
    expect(decodeUsageRecord(encodeUsageRecord(record()))).toEqual(record());
  });

  it('round-trips the edges of each integer type and empty defaults', () => {
    const edges: UsageRecord = {
      ...record(),
      consumer: '',
      errorCode: '',
      currency: '',
      startedAtUnixMs: Number.MAX_SAFE_INTEGER,
      finishedAtUnixMs: 0,
      costMicros: -Number.MAX_SAFE_INTEGER,
      inputTokens: 0xffffffff,
      outputTokens: 0,
      estimated: false,
      stream: false,
      aborted: false,
      unpriced: true,
    };
    expect(decodeUsageRecord(encodeUsageRecord(edges))).toEqual(edges);
  });

  it('rejects counts the wire cannot carry', () => {
    expect(() => encodeUsageRecord({ ...record(), outputTokens: -1 })).toThrow(/unsigned 32-bit/);
    expect(() => encodeUsageRecord({ ...record(), latencyMs: 1.5 })).toThrow(/unsigned 32-bit/);
    expect(() => encodeUsageRecord({ ...record(), costMicros: 2 ** 60 })).toThrow(/safe integer/);
  });
});
