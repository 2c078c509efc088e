export { createTelemetry, tracingFromEnv } from './telemetry.js';
export { startClientSpan, startServerSpan, traceparentOf } from './trace-context.js';
export type { Telemetry, TelemetryOptions } from './telemetry.js';
export { LATENCY_BUCKETS_S, MetricNames, SpanNames } from './metric-names.js';
