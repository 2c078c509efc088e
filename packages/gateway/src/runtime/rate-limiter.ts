import type { BucketParams, BucketStore } from './token-bucket.js';

/**
 * One rate-limit policy as attached to a route or consumer: its bucket store (shared by every
 * runtime while the policy id lives) and how requests are keyed. `key: consumer` counts per
 * authenticated consumer and falls back to the client IP for anonymous requests; `clientIp`
 * always counts per client IP (the socket's peer address: X-Forwarded-For is client-controlled).
 */
export class RateLimiter {
  readonly policyId: string;
  readonly byClientIp: boolean;
  readonly store: BucketStore;
  /** `RateLimit-Policy` value (draft-ietf-httpapi-ratelimit-headers): `<requests>;w=<window s>`. */
  readonly policyHeader: string;

  constructor(policyId: string, byClientIp: boolean, store: BucketStore, params: BucketParams) {
    this.policyId = policyId;
    this.byClientIp = byClientIp;
    this.store = store;
    const window = Math.max(1, Math.round(params.windowMs / 1000));
    this.policyHeader = `${params.requests};w=${window}${params.burst > 0 ? `;burst=${params.burst}` : ''}`;
  }
}
