import { MetricNames } from '@hubpo/telemetry';
import type { HotCounter, HotHistogram, Telemetry } from '@hubpo/telemetry';

type Attributes = Readonly<Record<string, string>>;

export type UpstreamErrorKind = 'connect' | 'reset' | 'timeout';
export type AuthRejection = 'missing' | 'invalid' | 'forbidden';

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/**
 * Attribute sets of one rule, built on its first recorded request (not at compile, so 10,000
 * routes cost nothing until they take traffic), then reused: recording allocates nothing. They
 * are frozen, so the hot meter resolves each to its series once, by identity.
 */
export class RuleMetrics {
  readonly byStatusClass: readonly Attributes[];
  readonly rule: Attributes;
  readonly upstreamErrors: Readonly<Record<UpstreamErrorKind, Attributes>>;
  readonly authRejected: Readonly<Record<AuthRejection, Attributes>>;

  constructor(routeId: string, rule: string) {
    const base = { 'hubpo.route': routeId, 'hubpo.rule': rule };
    this.rule = Object.freeze(base);
    this.byStatusClass = STATUS_CLASSES.map((c) =>
      Object.freeze({ ...base, 'http.response.status_class': c }),
    );
    const errors = (kind: string): Attributes => Object.freeze({ ...base, 'error.type': kind });
    this.upstreamErrors = { connect: errors('connect'), reset: errors('reset'), timeout: errors('timeout') };
    const auth = (reason: string): Attributes => Object.freeze({ ...base, 'hubpo.auth.reason': reason });
    this.authRejected = { missing: auth('missing'), invalid: auth('invalid'), forbidden: auth('forbidden') };
  }
}

/**
 * The runtime's instruments, created once per `RuntimeState`. Absent (null on the state) when
 * no telemetry is given or its metrics are off, and every recording site checks for null first,
 * so a gateway without metrics pays one comparison per request.
 *
 * Request count and duration are one histogram (`http.server.request.duration`, seconds, by
 * route, rule and status class): its `_count` is the request count. The histogram and counters
 * come from the hot meter, which resolves the frozen attribute sets of `RuleMetrics` to their
 * series once, by identity: a recording costs tens of nanoseconds, where the SDK meter hashed the
 * set on every call (about 6 µs per request interleaved with proxying, ADR 0005; the durations
 * were batched to soften it). Measured by `packages/telemetry/bench/record.bench.ts`.
 */
export class RuntimeMetrics {
  readonly requestDuration: HotHistogram;
  readonly upstreamErrors: HotCounter;
  readonly upstreamRetries: HotCounter;
  readonly backendEjections: HotCounter;
  readonly authRejected: HotCounter;
  readonly rateLimited: HotCounter;
  /** Requests in progress on every runtime of the state. */
  active = 0;

  constructor(telemetry: Telemetry) {
    const meter = telemetry.hotMeter;
    this.requestDuration = meter.createHistogram(MetricNames.httpServerRequestDuration, {
      description: 'Duration of requests served by the gateway, by route, rule and status class.',
      unit: 's',
    });
    this.upstreamErrors = meter.createCounter(MetricNames.upstreamErrors, {
      description: 'Upstream attempts that failed to connect, were reset or timed out.',
    });
    this.upstreamRetries = meter.createCounter(MetricNames.upstreamRetries, {
      description: 'Upstream attempts made after a failed one.',
    });
    this.backendEjections = meter.createCounter(MetricNames.backendEjections, {
      description: 'Backends ejected by passive health checking.',
    });
    this.authRejected = meter.createCounter(MetricNames.authRejected, {
      description: 'Requests rejected by authentication or authorization.',
    });
    this.rateLimited = meter.createCounter(MetricNames.rateLimited, {
      description: 'Requests rejected by a rate limit.',
    });
    telemetry.meter
      .createObservableGauge(MetricNames.activeRequests, {
        description: 'Requests in progress in the gateway.',
      })
      .addCallback((result) => result.observe(this.active));
  }

  /** Status class index of an HTTP status (the 499 "client went away" pseudo-status is 4). */
  static statusClass(status: number): number {
    const c = (status / 100) | 0;
    return c >= 1 && c <= 5 ? c : 0;
  }

  /** Records one request duration (seconds) with its attribute set (a `RuleMetrics` one). */
  recordDuration(seconds: number, attributes: Attributes): void {
    this.requestDuration.record(seconds, attributes);
  }

  /** Rare (an ejection): the set is built per call and hashed by content, as the SDK would. */
  recordEjection(backendId: string): void {
    this.backendEjections.add(1, { 'hubpo.backend': backendId });
  }
}
