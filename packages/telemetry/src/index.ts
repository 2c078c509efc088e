export { createTelemetry, tracingFromEnv } from './telemetry.js';
export { startClientSpan, startServerSpan, traceparentOf } from './trace-context.js';
export type { Telemetry, TelemetryOptions } from './telemetry.js';
export type { HotInstrumentOptions, HotMeter } from './hot-meter.js';
export type { BoundHistogram, HotHistogram } from './hot-histogram.js';
export type { BoundCounter, HotCounter } from './hot-counter.js';
export { LATENCY_BUCKETS_S, MetricNames, SpanNames } from './metric-names.js';
