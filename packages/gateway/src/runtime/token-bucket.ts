import type { RateLimitConfig } from '@hubpo/snapshot';

/** Token-bucket parameters: `requests` tokens refilled evenly over `windowMs`, capacity requests + burst. */
export class BucketParams {
  readonly requests: number;
  readonly windowMs: number;
  readonly burst: number;
  readonly capacity: number;
  readonly ratePerMs: number;

  constructor(config: Pick<RateLimitConfig, 'requests' | 'windowMs' | 'burst'>) {
    this.requests = config.requests;
    this.windowMs = config.windowMs;
    this.burst = config.burst;
    this.capacity = config.requests + config.burst;
    this.ratePerMs = config.requests / config.windowMs;
  }

  equals(other: BucketParams): boolean {
    return this.requests === other.requests && this.windowMs === other.windowMs && this.burst === other.burst;
  }
}

/**
 * One key's bucket. Refilled lazily from a monotonic clock (ms) when read, so idle keys cost
 * nothing; a bucket that has refilled to capacity is indistinguishable from a new one.
 */
export class TokenBucket {
  tokens: number;
  updatedAt: number;

  constructor(capacity: number, now: number) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  refill(params: BucketParams, now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed <= 0) return;
    const tokens = this.tokens + elapsed * params.ratePerMs;
    this.tokens = tokens > params.capacity ? params.capacity : tokens;
    this.updatedAt = now;
  }

  /** Whole seconds until a request would be admitted (at least 1); meaningful when tokens < 1. */
  retryAfterSeconds(params: BucketParams): number {
    const wait = Math.ceil((1 - this.tokens) / params.ratePerMs / 1000);
    return wait < 1 ? 1 : wait;
  }

  /** Whole seconds until the bucket is full again (0 when full): the RateLimit-Reset value. */
  resetSeconds(params: BucketParams): number {
    return Math.ceil((params.capacity - this.tokens) / params.ratePerMs / 1000);
  }
}

export interface BucketStoreOptions {
  /** Keys kept per policy before older ones are dropped. */
  readonly maxKeys: number;
  /** How often (ms of the monotonic clock) inserts also drop buckets that refilled to capacity. */
  readonly sweepEveryMs: number;
}

/**
 * The buckets of one rate-limit policy, by key (consumer id or client IP). Bounded: an insert
 * drops full buckets (they equal fresh ones, so nothing is lost) at most every `sweepEveryMs`,
 * or at once when `maxKeys` is reached; if that is not enough, the oldest-created keys are
 * dropped down to 90% of `maxKeys` (those clients start again from a full bucket: under a flood
 * of distinct keys the limit fails open for the oldest ones rather than growing memory).
 * Survives snapshot swaps while its policy id does; new parameters apply to existing buckets.
 */
export class BucketStore {
  params: BucketParams;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #options: BucketStoreOptions;
  #lastSweep: number;

  constructor(params: BucketParams, options: BucketStoreOptions, now: number) {
    this.params = params;
    this.#options = options;
    this.#lastSweep = now;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** The bucket of `key`, refilled to `now` (created full when absent). */
  bucket(key: string, now: number): TokenBucket {
    const params = this.params;
    const existing = this.#buckets.get(key);
    if (existing !== undefined) {
      existing.refill(params, now);
      return existing;
    }
    if (this.#buckets.size >= this.#options.maxKeys || now - this.#lastSweep >= this.#options.sweepEveryMs) {
      this.sweep(now);
    }
    const created = new TokenBucket(params.capacity, now);
    this.#buckets.set(key, created);
    return created;
  }

  /** Replaces the parameters (a changed policy); tokens above the new capacity are cut. */
  reconfigure(params: BucketParams): void {
    if (this.params.equals(params)) return;
    this.params = params;
    for (const bucket of this.#buckets.values())
      if (bucket.tokens > params.capacity) bucket.tokens = params.capacity;
  }

  sweep(now: number): void {
    this.#lastSweep = now;
    const params = this.params;
    for (const [key, bucket] of this.#buckets) {
      bucket.refill(params, now);
      if (bucket.tokens >= params.capacity) this.#buckets.delete(key);
    }
    const target = Math.floor(this.#options.maxKeys * 0.9);
    if (this.#buckets.size < this.#options.maxKeys) return;
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= target) break;
      this.#buckets.delete(key);
    }
  }
}
