import { MetricNames } from '@hubpo/telemetry';
import type { Telemetry } from '@hubpo/telemetry';

type Counter = ReturnType<Telemetry['meter']['createCounter']>;
type Histogram = ReturnType<Telemetry['meter']['createHistogram']>;
type Attributes = Readonly<Record<string, string>>;

export type UpstreamErrorKind = 'connect' | 'reset' | 'timeout';
export type AuthRejection = 'missing' | 'invalid' | 'forbidden';

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/**
 * Attribute sets of one rule, built on its first recorded request (not at compile, so 10,000
 * routes cost nothing until they take traffic), then reused: recording allocates nothing.
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
 * Request count and duration are one histogram (`http.server.request.duration`, seconds, by
 * route, rule and status class): its `_count` is the request count.
 */
export class RuntimeMetrics {
  readonly requestDuration: Histogram;
  readonly upstreamErrors: Counter;
  readonly upstreamRetries: Counter;
  readonly backendEjections: Counter;
  readonly authRejected: Counter;
  readonly rateLimited: Counter;

  constructor(telemetry: Telemetry) {
    const meter = telemetry.meter;
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
  }

  /** Status class index of an HTTP status (0 for the 499 "client went away" pseudo-status is 4). */
  static statusClass(status: number): number {
    const c = (status / 100) | 0;
    return c >= 1 && c <= 5 ? c : 0;
  }

  recordEjection(backendId: string): void {
    this.backendEjections.add(1, { 'hubpo.backend': backendId });
  }
}
