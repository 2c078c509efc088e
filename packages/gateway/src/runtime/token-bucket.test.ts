import { BucketParams, BucketStore, TokenBucket } from './token-bucket.js';

const params = (requests: number, windowMs: number, burst = 0): BucketParams =>
  new BucketParams({ requests, windowMs, burst });

describe('TokenBucket', () => {
  it('starts full at requests + burst and refills requests per window, evenly', () => {
    const p = params(10, 1000, 5);
    const bucket = new TokenBucket(p.capacity, 0);
    expect(bucket.tokens).toBe(15);
    bucket.tokens = 0;
    bucket.refill(p, 100);
    expect(bucket.tokens).toBeCloseTo(1);
    bucket.refill(p, 550);
    expect(bucket.tokens).toBeCloseTo(5.5);
    bucket.refill(p, 10_000);
    expect(bucket.tokens).toBe(15);
  });

  it('ignores a clock that did not move (or went back)', () => {
    const p = params(10, 1000);
    const bucket = new TokenBucket(p.capacity, 500);
    bucket.tokens = 2;
    bucket.refill(p, 400);
    expect(bucket.tokens).toBe(2);
    expect(bucket.updatedAt).toBe(500);
  });

  it('computes Retry-After as whole seconds until one token, at least 1', () => {
    const p = params(1, 10_000); // one token per 10 s
    const bucket = new TokenBucket(p.capacity, 0);
    bucket.tokens = 0;
    expect(bucket.retryAfterSeconds(p)).toBe(10);
    bucket.tokens = 0.75;
    expect(bucket.retryAfterSeconds(p)).toBe(3);
    bucket.tokens = 0.999;
    expect(bucket.retryAfterSeconds(p)).toBe(1);
  });

  it('computes RateLimit-Reset as whole seconds until full', () => {
    const p = params(60, 60_000, 0); // one per second
    const bucket = new TokenBucket(p.capacity, 0);
    expect(bucket.resetSeconds(p)).toBe(0);
    bucket.tokens = 50.5;
    expect(bucket.resetSeconds(p)).toBe(10);
  });
});

describe('BucketStore', () => {
  const options = { maxKeys: 10, sweepEveryMs: 60_000 };

  it('keeps one bucket per key and refills it on read', () => {
    const store = new BucketStore(params(2, 1000), options, 0);
    const a = store.bucket('a', 0);
    a.tokens -= 2;
    expect(store.bucket('a', 0)).toBe(a);
    expect(store.bucket('a', 500).tokens).toBeCloseTo(1);
    expect(store.bucket('b', 500).tokens).toBe(2);
  });

  it('drops full buckets on a periodic sweep (nothing is lost: they equal new ones)', () => {
    const store = new BucketStore(params(1, 1000), options, 0);
    store.bucket('idle', 0);
    store.bucket('busy', 0).tokens = 0;
    expect(store.size).toBe(2);
    store.bucket('new', 60_000);
    // 'idle' and (refilled by then) 'busy' were full at the sweep; 'new' was added after it.
    expect(store.size).toBe(1);
  });

  it('stays bounded under a flood of distinct keys, keeping the newest', () => {
    const store = new BucketStore(params(1, 3_600_000), options, 0);
    for (let i = 0; i < 1000; i++) store.bucket(`ip-${i}`, i).tokens = 0;
    expect(store.size).toBeLessThanOrEqual(10);
    expect(store.bucket('ip-999', 1000).tokens).toBeLessThan(1);
  });

  it('applies new parameters to existing buckets, cutting tokens above the new capacity', () => {
    const store = new BucketStore(params(100, 1000), options, 0);
    const bucket = store.bucket('a', 0);
    store.reconfigure(params(5, 1000));
    expect(bucket.tokens).toBe(5);
    expect(store.bucket('a', 0)).toBe(bucket);
  });
});
