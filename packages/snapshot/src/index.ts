// Snapshots: building, hashing, diffing.
export { resourceKey, parseResourceKey } from './resource-key.js';
export {
  buildSnapshot,
  assembleSnapshot,
  decodeResource,
  payloadVersion,
  snapshotHash,
  snapshotVersions,
  snapshotWithEpoch,
  isEpochReset,
  assertEpoch,
} from './snapshot.js';
export type { Snapshot, SnapshotObject, SnapshotResource } from './snapshot.js';
export { diffSnapshot } from './diff-snapshot.js';
export type { SnapshotDiff } from './diff-snapshot.js';

// hubpo.config.v1 messages, codecs and the ConfigDiscovery protocol.
export type {
  BlobRef,
  ConfigAck,
  DiscoveryNode,
  DiscoveryRequest,
  DiscoveryResponse,
  ErrorDetail,
  Heartbeat,
  Manifest,
  StoredResource,
} from './config-messages.js';
export {
  encodeDiscoveryRequest,
  decodeDiscoveryRequest,
  encodeDiscoveryResponse,
  decodeDiscoveryResponse,
  encodeSnapshot,
  decodeSnapshot,
  encodeConfigAck,
  decodeConfigAck,
} from './config-codec.js';
export {
  discoveryResponseFor,
  applyDiscoveryResponse,
  discoveryRequestKind,
  initialDiscoveryRequest,
  ackDiscoveryRequest,
  nackDiscoveryRequest,
  heartbeatDiscoveryRequest,
} from './discovery-protocol.js';
export type { DiscoveryRequestKind, DiscoveryResponseOptions } from './discovery-protocol.js';
export {
  CONFIG_DISCOVERY_SERVICE_NAME,
  configDiscoveryChannelOptions,
  configDiscoveryServiceDefinition,
  loadConfigDiscovery,
} from './config-discovery-service.js';
export type {
  ConfigDiscoveryClient,
  ConfigDiscoveryClientConstructor,
  ConfigDiscoveryHandlers,
  ConfigDiscoveryServiceDefinition,
} from './config-discovery-service.js';

// The shared bearer token of the gRPC port (both services, both planes).
export {
  GRPC_TOKEN_MIN_LENGTH,
  GRPC_TOKEN_REFUSED,
  grpcTokenFromEnv,
  grpcTokenServerInterceptor,
  grpcTokenClientInterceptor,
} from './grpc-token.js';
export type { GrpcTokenRefusal } from './grpc-token.js';

// hubpo.usage.v1.
export { checkUsageRecord, encodeUsageRecord, decodeUsageRecord } from './usage-record.js';
export type { UsageRecord } from './usage-record.js';
export {
  USAGE_REPORTING_SERVICE_NAME,
  MAX_USAGE_BATCH_RECORDS,
  loadUsageReporting,
  encodeUsageBatch,
  decodeUsageBatch,
  encodeUsageAck,
  decodeUsageAck,
} from './usage-reporting-service.js';
export type {
  UsageAck,
  UsageBatch,
  UsageReportingClient,
  UsageReportingClientConstructor,
  UsageReportingHandlers,
  UsageReportingServiceDefinition,
} from './usage-reporting-service.js';
export {
  USAGE_STREAM,
  USAGE_SUBJECT_PREFIX,
  USAGE_SUBJECTS,
  usageSubject,
  clusterOfUsageSubject,
} from './usage-stream-layout.js';

// Last-known-good file.
export {
  encodeSnapshotFile,
  decodeSnapshotFile,
  SNAPSHOT_FILE_MAGIC,
  SNAPSHOT_FILE_VERSION,
} from './snapshot-file.js';
export type { SnapshotFileDecodeOptions, SnapshotFileEncodeOptions } from './snapshot-file.js';
export { writeSnapshotFileAtomic, readSnapshotFile } from './snapshot-file-io.js';

// NATS JetStream driver: KV layout, publisher / reader, ACK subjects.
export { escapeKeyToken, unescapeKeyToken } from './key-token.js';
export {
  DEFAULT_CONFIG_BUCKET,
  CONFIG_ACK_SUBJECT_PREFIX,
  resourceKvKey,
  parseResourceKvKey,
  manifestKvKey,
  clusterBlobsFilter,
  kvStreamName,
  ackSubject,
  ackSubjectFilter,
} from './config-kv-layout.js';
export { configMirrorStreamConfig, ensureConfigMirror } from './nats-config-mirror.js';
export type { ConfigMirrorOptions } from './nats-config-mirror.js';
export { NatsConfigBucket } from './nats-config-bucket.js';
export type { NatsConfigBucketOptions, PublishResult } from './nats-config-bucket.js';
export type { ConfigManifest, ManifestWatch, ManifestWatchOptions } from './nats-manifest-watch.js';
export { publishAck, subscribeAcks } from './nats-config-acks.js';
export type { SubscribeAcksOptions } from './nats-config-acks.js';
export { configNatsConnectionOptions } from './nats-connection-options.js';

// Typed config payloads.
export * from './config/index.js';
