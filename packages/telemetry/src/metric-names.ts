/**
 * Metric and span names used across Hubpo. HTTP and GenAI names follow the OpenTelemetry
 * semantic conventions (https://opentelemetry.io/docs/specs/semconv/); Hubpo's own are
 * prefixed `hubpo.`. Durations are seconds, as the conventions require.
 */
export const MetricNames = Object.freeze({
  httpServerRequestDuration: 'http.server.request.duration',
  httpClientRequestDuration: 'http.client.request.duration',
  upstreamErrors: 'hubpo.gateway.upstream.errors',
  upstreamRetries: 'hubpo.gateway.upstream.retries',
  backendEjections: 'hubpo.gateway.backend.ejections',
  authRejected: 'hubpo.gateway.auth.rejected',
  rateLimited: 'hubpo.gateway.ratelimit.rejected',
  /** Gauge: requests and upgrade handshakes in progress (its callback also flushes batched durations). */
  activeRequests: 'hubpo.gateway.requests.active',
  usagePublished: 'hubpo.gateway.usage.published',
  usageDropped: 'hubpo.gateway.usage.dropped',
  usagePublishFailures: 'hubpo.gateway.usage.publish_failures',
  usageQueued: 'hubpo.gateway.usage.queued',
  configRevision: 'hubpo.config.revision',
  configApplyDuration: 'hubpo.config.apply.duration',
  configApplyFailures: 'hubpo.config.apply.failures',
  /** Counter: config stores reset to a new epoch (a gateway went back to a lower revision). */
  configEpochResets: 'hubpo.config.epoch.resets',
  translationDuration: 'hubpo.controlplane.translation.duration',
  translationFailures: 'hubpo.controlplane.translation.failures',
  snapshotsPublished: 'hubpo.controlplane.snapshots.published',
  adminRequestDuration: 'hubpo.controlplane.admin.request.duration',
  usageStored: 'hubpo.controlplane.usage.stored',
  usageDuplicates: 'hubpo.controlplane.usage.duplicates',
  usageInvalid: 'hubpo.controlplane.usage.invalid',
  genAiTokenUsage: 'gen_ai.client.token.usage',
  genAiOperationDuration: 'gen_ai.client.operation.duration',
  genAiTimeToFirstToken: 'gen_ai.server.time_to_first_token',
  genAiCost: 'hubpo.gen_ai.cost',
  genAiUnpriced: 'hubpo.gen_ai.unpriced_requests',
});

export const SpanNames = Object.freeze({
  gatewayRequest: 'hubpo.gateway.request',
  upstreamAttempt: 'hubpo.gateway.upstream',
  configApply: 'hubpo.config.apply',
  translate: 'hubpo.controlplane.translate',
});

/** Bucket boundaries (seconds) for request latencies: sub-millisecond to a minute. */
export const LATENCY_BUCKETS_S = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);
