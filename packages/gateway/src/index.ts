export { createGateway, createGatewayLogger, createGatewayTelemetry } from './gateway.js';
export type { Gateway, GatewayOptions } from './gateway.js';
export {
  DEFAULT_GATEWAY_TIMEOUTS,
  GATEWAY_BUILD,
  loadGatewayConfig,
  parseHostPort,
  redactUrl,
} from './gateway-config.js';
export type {
  ConfigDriverConfig,
  GrpcClientTls,
  GatewayConfig,
  GatewayTimeouts,
  HostFacts,
  ListenAddress,
  LogLevel,
} from './gateway-config.js';
export type { CompileRuntime } from './config/config-applier.js';
export type { DriverState, DriverStatus } from './config/config-driver.js';
export { LKG_FILE_NAME } from './config/last-known-good-file.js';
// AI data path (issue 3): the usage sink extension point, a test sink, response header names.
export { AIHeaders, DISCARD_USAGE, MemoryUsageSink } from './ai/index.js';
export type { AIOptions, BreakerSettings, UsageRecord, UsageSink } from './ai/index.js';
// Usage pipeline: the JetStream publisher and the gRPC reporter of usage records
// (docs/design/usage-pipeline.md).
export { JetStreamUsageSink } from './usage/jetstream-usage-sink.js';
export { GrpcUsageSink } from './usage/grpc-usage-sink.js';
export type { GrpcUsageSinkOptions } from './usage/grpc-usage-sink.js';
export type { JetStreamUsageSinkOptions, UsageSinkStats } from './usage/jetstream-usage-sink.js';
export { USAGE_METRIC_NAMES } from './usage/usage-sink-metrics.js';
export type { UsageDropReason } from './usage/usage-sink-metrics.js';
export { createUsageSink, loadUsageSinkConfig } from './usage/usage-sink-config.js';
export type { ProcessUsageSink, UsageSinkConfig } from './usage/usage-sink-config.js';
