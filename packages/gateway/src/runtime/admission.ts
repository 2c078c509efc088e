import type { IncomingHttpHeaders } from 'node:http';
import { recordAdmissionRejection } from '../usage/admission-usage.js';
import type { AdmissionRejection } from '../usage/admission-usage.js';
import { hashApiKey } from './api-key-auth.js';
import type { ConsumerRuntime } from './consumer-runtime.js';
import type { RateLimiter } from './rate-limiter.js';
import type { RuleRuntime } from './rule-runtime.js';
import type { TokenBucket } from './token-bucket.js';

/** Outcome of the admission phase (authenticate -> authorize -> rate limit). */
export const Admission = Object.freeze({
  Admitted: 0,
  KeyMissing: 1,
  KeyInvalid: 2,
  Forbidden: 3,
  RateLimited: 4,
});
export type Admission = (typeof Admission)[keyof typeof Admission];

/** Where admission leaves what later phases need (implemented by the request exchange). */
export interface AdmissionSubject {
  readonly headers: IncomingHttpHeaders;
  readonly clientIp: string;
  /** For the usage record of a refused AI request (WebSocket upgrades, always GET, have no `req`). */
  readonly method: string;
  readonly requestId: string;
  readonly req?: { readonly url?: string | undefined };
  consumer: ConsumerRuntime | null;
  /** The limiter whose bucket is tightest (for RateLimit-* headers or the 429), else null. */
  limiter: RateLimiter | null;
  bucket: TokenBucket | null;
}

/** Buckets of the request being admitted; reused (admission is synchronous). */
const buckets: TokenBucket[] = [];

/**
 * Runs the admission phase of `rule` for `subject`. Authentication: a missing key is 401 unless
 * the auth is optional (anonymous), an unknown key is 401 always, a consumer whose
 * `allowedRoutes` leaves out the route is 403 (the consumer is still set on the subject). Rate
 * limits: the route's policies, then the consumer's; a request takes one token from every bucket
 * or, if any bucket is empty, from none. A refused request of an AI rule leaves its usage record.
 */
export function admit(
  rule: RuleRuntime,
  consumersByKeyHash: ReadonlyMap<string, ConsumerRuntime>,
  subject: AdmissionSubject,
  clock: () => number,
): Admission {
  const outcome = runAdmission(rule, consumersByKeyHash, subject, clock);
  if (outcome !== Admission.Admitted && rule.ai !== null) {
    recordAdmissionRejection(rule.ai, subject, outcome as AdmissionRejection);
  }
  return outcome;
}

function runAdmission(
  rule: RuleRuntime,
  consumersByKeyHash: ReadonlyMap<string, ConsumerRuntime>,
  subject: AdmissionSubject,
  clock: () => number,
): Admission {
  const auth = rule.auth;
  if (auth !== null) {
    const key = auth.extract(subject.headers);
    if (key === null) {
      if (!auth.optional) return Admission.KeyMissing;
    } else {
      const consumer = consumersByKeyHash.get(hashApiKey(key));
      if (consumer === undefined) return Admission.KeyInvalid;
      subject.consumer = consumer;
      if (!consumer.mayUse(rule.routeId)) return Admission.Forbidden;
    }
  }
  const consumerLimiters = subject.consumer === null ? null : subject.consumer.rateLimiters;
  if (rule.rateLimiters.length === 0 && (consumerLimiters === null || consumerLimiters.length === 0)) {
    return Admission.Admitted;
  }
  return takeTokens(rule.rateLimiters, consumerLimiters, subject, clock());
}

function takeTokens(
  routeLimiters: readonly RateLimiter[],
  consumerLimiters: readonly RateLimiter[] | null,
  subject: AdmissionSubject,
  now: number,
): Admission {
  buckets.length = 0;
  let denied = false;
  let longestWait = 0;
  const routeCount = routeLimiters.length;
  const total = routeCount + (consumerLimiters === null ? 0 : consumerLimiters.length);
  for (let i = 0; i < total; i++) {
    const limiter = i < routeCount ? routeLimiters[i]! : consumerLimiters![i - routeCount]!;
    const key = limiter.byClientIp || subject.consumer === null ? subject.clientIp : subject.consumer.id;
    const bucket = limiter.store.bucket(key, now);
    buckets.push(bucket);
    if (bucket.tokens < 1) {
      // A denied request reports the empty bucket that takes longest to admit again.
      const wait = (1 - bucket.tokens) / limiter.store.params.ratePerMs;
      if (!denied || wait > longestWait) {
        subject.limiter = limiter;
        subject.bucket = bucket;
        longestWait = wait;
      }
      denied = true;
    } else if (!denied && (subject.bucket === null || bucket.tokens < subject.bucket.tokens)) {
      subject.limiter = limiter;
      subject.bucket = bucket;
    }
  }
  if (denied) return Admission.RateLimited;
  for (let i = 0; i < buckets.length; i++) buckets[i]!.tokens -= 1;
  return Admission.Admitted;
}

/** `RateLimit-*` headers (draft-ietf-httpapi-ratelimit-headers) for the tightest bucket, after admission. */
export function rateLimitHeaders(limiter: RateLimiter, bucket: TokenBucket, retryAfter: boolean): string[] {
  const params = limiter.store.params;
  const headers = [
    'ratelimit-limit',
    String(params.capacity),
    'ratelimit-remaining',
    String(Math.max(0, Math.floor(bucket.tokens))),
    'ratelimit-reset',
    String(bucket.resetSeconds(params)),
    'ratelimit-policy',
    limiter.policyHeader,
  ];
  if (retryAfter) headers.push('retry-after', String(bucket.retryAfterSeconds(params)));
  return headers;
}
