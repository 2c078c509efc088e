import type { UsageRecord } from '../ai/usage-sink.js';
import {
  silentLogger,
  usageRecord as aUsageRecord,
} from '../../test/integration/usage/usage-stream-fixtures.js';
import { UsageBuffer } from './usage-buffer.js';

// The integration tier's factory (pure; nothing in it starts a process or a connection).
const usageRecord = (requestId: string): UsageRecord => aUsageRecord({ requestId });

function buffer(maxQueue = 4): UsageBuffer {
  return new UsageBuffer({ logger: silentLogger, maxQueue });
}

function ids(b: UsageBuffer): string[] {
  const out: string[] = [];
  for (let rec = b.shift(); rec !== undefined; rec = b.shift()) out.push(rec.requestId);
  return out;
}

describe('UsageBuffer', () => {
  it('keeps records in order and drops the oldest when full, counting queue_full', () => {
    const b = buffer(2);
    for (const id of ['r1', 'r2', 'r3']) expect(b.record(usageRecord(id))).toBe(true);
    expect(b.stats(false)).toMatchObject({ queued: 2, dropped: { queue_full: 1, invalid: 0, shutdown: 0 } });
    expect(ids(b)).toEqual(['r2', 'r3']);
  });

  it('puts failed records back in front in their order; without room they are dropped', () => {
    const b = buffer(3);
    b.record(usageRecord('r3'));
    b.requeue([usageRecord('r1'), usageRecord('r2')]);
    b.requeue([usageRecord('r0')]);
    expect(b.stats(true).dropped.queue_full).toBe(1);
    expect(ids(b)).toEqual(['r1', 'r2', 'r3']);
  });

  it('counts acknowledged records, duplicates and failures in stats', () => {
    const b = buffer();
    b.record(usageRecord('r1'));
    b.shift();
    b.sent(1);
    expect(b.stats(true)).toMatchObject({ connected: true, queued: 0, inFlight: 1 });
    b.failed();
    b.published(3, 2);
    b.settled(1);
    expect(b.stats(false)).toEqual({
      connected: false,
      queued: 0,
      inFlight: 0,
      published: 5,
      duplicates: 2,
      failures: 1,
      dropped: { queue_full: 0, invalid: 0, shutdown: 0 },
    });
  });

  it('returns a copy of the drop counters', () => {
    const b = buffer();
    const before = b.stats(true);
    b.drop('invalid', 2);
    expect(before.dropped.invalid).toBe(0);
    expect(b.stats(true).dropped.invalid).toBe(2);
  });

  it('encodes a valid record and drops one without a request id as invalid', () => {
    const b = buffer();
    expect(b.encodeOrDrop(usageRecord('r1'))).toBeInstanceOf(Uint8Array);
    expect(b.encodeOrDrop(usageRecord(''))).toBeUndefined();
    expect(b.stats(true).dropped.invalid).toBe(1);
  });

  it('flush resolves true at once when idle, and when the last record settles', async () => {
    const b = buffer();
    await expect(b.flush(1_000)).resolves.toBe(true);
    b.record(usageRecord('r1'));
    const flushed = b.flush(60_000);
    b.shift();
    b.sent(1);
    b.wakeIfIdle(); // still in flight: must not resolve
    b.settled(1);
    b.wakeIfIdle();
    await expect(flushed).resolves.toBe(true);
  });

  it('flush resolves false when records remain after the timeout', async () => {
    const b = buffer();
    b.record(usageRecord('r1'));
    await expect(b.flush(5)).resolves.toBe(false);
  });

  it('after close refuses records as shutdown drops and counts what is left as lost', () => {
    const b = buffer();
    b.record(usageRecord('r1'));
    b.record(usageRecord('r2'));
    b.shift();
    b.sent(1);
    expect(b.close()).toBe(true);
    expect(b.close()).toBe(false);
    expect(b.record(usageRecord('r3'))).toBe(false);
    expect(b.discardRemaining(false)).toBe(2);
    expect(b.stats(false).dropped.shutdown).toBe(3);
  });

  it('counts nothing as lost when the flush succeeded', () => {
    const b = buffer();
    b.record(usageRecord('r1'));
    expect(b.discardRemaining(true)).toBe(0);
    expect(b.stats(false).dropped.shutdown).toBe(0);
  });
});
