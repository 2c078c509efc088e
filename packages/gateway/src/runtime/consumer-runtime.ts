import type { RateLimiter } from './rate-limiter.js';

/** A consumer, compiled: its allowed routes and the rate limits of policies that target it. */
export class ConsumerRuntime {
  readonly id: string;
  /** Route ids; null means every route. */
  readonly allowedRoutes: ReadonlySet<string> | null;
  readonly rateLimiters: readonly RateLimiter[];

  constructor(id: string, allowedRoutes: ReadonlySet<string> | null, rateLimiters: readonly RateLimiter[]) {
    this.id = id;
    this.allowedRoutes = allowedRoutes;
    this.rateLimiters = rateLimiters;
  }

  mayUse(routeId: string): boolean {
    return this.allowedRoutes === null || this.allowedRoutes.has(routeId);
  }
}
