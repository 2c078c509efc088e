import type { AIRule } from '../ai/ai-rule.js';
import type { ApiKeyAuth } from './api-key-auth.js';
import type { BackendPicker } from './backend-picker.js';
import type { HeaderModifier } from './header-modifier.js';
import type { RateLimiter } from './rate-limiter.js';
import { RuleMetrics } from './runtime-metrics.js';
import type { PathRewrite } from './url-rewrite.js';

/** Everything one route rule needs per request, compiled (the "precompiled chain" of the request path). */
export interface RuleSpec {
  readonly routeId: string;
  readonly index: number;
  /** The rule's name, else its index: the `hubpo.rule` metric label. */
  readonly label: string;
  /** Null for AI rules. */
  readonly picker: BackendPicker | null;
  /** The AI handler of an `ai` rule (issue 3), null for proxy rules. */
  readonly ai: AIRule | null;
  readonly auth: ApiKeyAuth | null;
  readonly rateLimiters: readonly RateLimiter[];
  readonly requestHeaders: HeaderModifier | null;
  readonly responseHeaders: HeaderModifier | null;
  readonly pathRewrite: PathRewrite | null;
  readonly hostRewrite: string | null;
  readonly requestMs: number;
  readonly backendRequestMs: number;
  readonly retryAttempts: number;
  readonly retryBackoffMs: number;
  /** Index `status - 500` is true for the retried 5xx codes. */
  readonly retryCodes: readonly boolean[];
  readonly failuresToEject: number;
  readonly ejectionMs: number;
}

export class RuleRuntime implements RuleSpec {
  readonly routeId: string;
  readonly index: number;
  readonly label: string;
  readonly picker: BackendPicker | null;
  readonly ai: AIRule | null;
  readonly auth: ApiKeyAuth | null;
  readonly rateLimiters: readonly RateLimiter[];
  readonly requestHeaders: HeaderModifier | null;
  readonly responseHeaders: HeaderModifier | null;
  readonly pathRewrite: PathRewrite | null;
  readonly hostRewrite: string | null;
  readonly requestMs: number;
  readonly backendRequestMs: number;
  readonly retryAttempts: number;
  readonly retryBackoffMs: number;
  readonly retryCodes: readonly boolean[];
  readonly failuresToEject: number;
  readonly ejectionMs: number;
  /** True when some request of this rule needs the admission phase (auth or limits). */
  readonly admits: boolean;
  /** True when some 5xx answer can be retried (then small idempotent bodies are buffered). */
  readonly retriesStatuses: boolean;
  #metrics: RuleMetrics | null = null;

  constructor(spec: RuleSpec) {
    this.routeId = spec.routeId;
    this.index = spec.index;
    this.label = spec.label;
    this.picker = spec.picker;
    this.ai = spec.ai;
    this.auth = spec.auth;
    this.rateLimiters = spec.rateLimiters;
    this.requestHeaders = spec.requestHeaders;
    this.responseHeaders = spec.responseHeaders;
    this.pathRewrite = spec.pathRewrite;
    this.hostRewrite = spec.hostRewrite;
    this.requestMs = spec.requestMs;
    this.backendRequestMs = spec.backendRequestMs;
    this.retryAttempts = spec.retryAttempts;
    this.retryBackoffMs = spec.retryBackoffMs;
    this.retryCodes = spec.retryCodes;
    this.failuresToEject = spec.failuresToEject;
    this.ejectionMs = spec.ejectionMs;
    this.admits = spec.auth !== null || spec.rateLimiters.length > 0;
    this.retriesStatuses = spec.retryAttempts > 0 && spec.retryCodes.includes(true);
  }

  get metrics(): RuleMetrics {
    return (this.#metrics ??= new RuleMetrics(this.routeId, this.label));
  }

  retriesStatus(status: number): boolean {
    return status >= 500 && status < 600 && this.retryCodes[status - 500] === true;
  }
}
