import {
  decodeUsageAck,
  decodeUsageBatch,
  encodeUsageAck,
  encodeUsageBatch,
  loadUsageReporting,
} from './usage-reporting-service.js';
import type { UsageBatch } from './usage-reporting-service.js';
import type { UsageRecord } from './usage-record.js';

const record = (requestId: string, unpriced: boolean): UsageRecord => ({
  requestId,
  startedAtUnixMs: 1_767_225_600_000,
  finishedAtUnixMs: 1_767_225_600_900,
  consumer: 'team-a',
  route: 'default/chat',
  model: 'chat',
  provider: 'openai',
  target: 'primary',
  inputTokens: 10,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  outputTokens: 5,
  estimated: false,
  costMicros: unpriced ? 0 : 7,
  currency: unpriced ? '' : 'USD',
  latencyMs: 900,
  timeToFirstTokenMs: 0,
  statusCode: 200,
  errorCode: '',
  stream: false,
  aborted: false,
  unpriced,
});

describe('UsageReporting messages', () => {
  it('round-trips a batch with its records (the unpriced flag included)', () => {
    const batch: UsageBatch = {
      batchId: 2 ** 40,
      cluster: 'eu-west',
      nodeId: 'gw-1',
      records: [record('a', false), record('b', true)],
    };
    expect(decodeUsageBatch(encodeUsageBatch(batch))).toEqual(batch);
  });

  it('round-trips an ack and an error ack', () => {
    const ok = { batchId: 3, stored: 2, duplicates: 1, invalid: 0, error: '' };
    const failed = { batchId: 4, stored: 0, duplicates: 0, invalid: 0, error: 'database unavailable' };
    expect(decodeUsageAck(encodeUsageAck(ok))).toEqual(ok);
    expect(decodeUsageAck(encodeUsageAck(failed))).toEqual(failed);
  });

  it('refuses a negative batch id', () => {
    expect(() => encodeUsageBatch({ batchId: -1, cluster: 'c', nodeId: 'n', records: [] })).toThrow(
      /batchId/,
    );
  });

  it('defines the bidirectional Report method', () => {
    const { service, Client } = loadUsageReporting();
    expect(service.Report.path).toBe('/hubpo.usage.v1.UsageReporting/Report');
    expect(service.Report.requestStream && service.Report.responseStream).toBe(true);
    expect(typeof Client.prototype.report).toBe('function');
  });
});
