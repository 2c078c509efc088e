export { createTelemetry } from './telemetry.js';
export type { Telemetry, TelemetryOptions } from './telemetry.js';
export { LATENCY_BUCKETS_S, MetricNames, SpanNames } from './metric-names.js';
