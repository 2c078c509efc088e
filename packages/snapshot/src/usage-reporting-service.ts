import { makeClientConstructor } from '@grpc/grpc-js';
import type {
  CallOptions,
  ChannelCredentials,
  ChannelOptions,
  Client,
  ClientDuplexStream,
  Metadata,
  MethodDefinition,
  ServiceDefinition,
  UntypedServiceImplementation,
  handleBidiStreamingCall,
} from '@grpc/grpc-js';
import { bidiMethodDefinition } from './bidi-method-definition.js';
import { usageV1Descriptor } from './generated/index.js';
import { MessageCodec, loadRoot, wireLong, wireUint32 } from './proto-codec.js';
import { usageRecordFromWire, usageRecordToWire } from './usage-record.js';
import type { UsageRecord } from './usage-record.js';

export const USAGE_REPORTING_SERVICE_NAME = 'hubpo.usage.v1.UsageReporting';

/** Most records in one `UsageBatch`; the control plane ends a stream that sends more. */
export const MAX_USAGE_BATCH_RECORDS = 1000;

/** Message `UsageBatch`: records a gateway reports over gRPC, acknowledged by `batchId`. */
export interface UsageBatch {
  /** Unique among the batches of one stream (a safe integer). */
  readonly batchId: number;
  readonly cluster: string;
  readonly nodeId: string;
  readonly records: readonly UsageRecord[];
}

/** Message `UsageAck`: the control plane's answer to one batch. */
export interface UsageAck {
  readonly batchId: number;
  readonly stored: number;
  readonly duplicates: number;
  readonly invalid: number;
  /** Non-empty when nothing of the batch was stored; the gateway sends it again later. */
  readonly error: string;
}

const root = loadRoot(usageV1Descriptor);

const batchCodec = new MessageCodec<UsageBatch>(
  root,
  'hubpo.usage.v1.UsageBatch',
  (b) => ({
    batchId: wireLong(b.batchId, 'UsageBatch.batchId'),
    cluster: b.cluster,
    nodeId: b.nodeId,
    records: b.records.map(usageRecordToWire),
  }),
  (f) => ({
    batchId: f.long('batchId'),
    cluster: f.string('cluster'),
    nodeId: f.string('nodeId'),
    records: f.messages('records', usageRecordFromWire),
  }),
  'BAD_REQUEST',
  true,
);

const ackCodec = new MessageCodec<UsageAck>(
  root,
  'hubpo.usage.v1.UsageAck',
  (a) => ({
    batchId: wireLong(a.batchId, 'UsageAck.batchId'),
    stored: wireUint32(a.stored, 'UsageAck.stored'),
    duplicates: wireUint32(a.duplicates, 'UsageAck.duplicates'),
    invalid: wireUint32(a.invalid, 'UsageAck.invalid'),
    error: a.error,
  }),
  (f) => ({
    batchId: f.long('batchId'),
    stored: f.int('stored'),
    duplicates: f.int('duplicates'),
    invalid: f.int('invalid'),
    error: f.string('error'),
  }),
  'BAD_REQUEST',
  true,
);

export const encodeUsageBatch = (b: UsageBatch): Buffer => batchCodec.encode(b);
export const decodeUsageBatch = (bytes: Uint8Array): UsageBatch => batchCodec.decode(bytes);
export const encodeUsageAck = (a: UsageAck): Buffer => ackCodec.encode(a);
export const decodeUsageAck = (bytes: Uint8Array): UsageAck => ackCodec.decode(bytes);

/** The gRPC service definition of UsageReporting, with this package's typed message codecs. */
export interface UsageReportingServiceDefinition extends ServiceDefinition {
  readonly Report: MethodDefinition<UsageBatch, UsageAck>;
}

/** Server implementation, for `server.addService(service, handlers)`. */
export interface UsageReportingHandlers extends UntypedServiceImplementation {
  report: handleBidiStreamingCall<UsageBatch, UsageAck>;
}

export interface UsageReportingClient extends Client {
  report(options?: CallOptions): ClientDuplexStream<UsageBatch, UsageAck>;
  report(metadata: Metadata, options?: CallOptions): ClientDuplexStream<UsageBatch, UsageAck>;
}

export type UsageReportingClientConstructor = new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ChannelOptions>,
) => UsageReportingClient;

let loaded:
  | { readonly service: UsageReportingServiceDefinition; readonly Client: UsageReportingClientConstructor }
  | undefined;

/**
 * The UsageReporting service definition (built once from the generated descriptor by
 * @grpc/proto-loader; messages go through this package's codecs) and a client class for it.
 */
export function loadUsageReporting(): {
  readonly service: UsageReportingServiceDefinition;
  readonly Client: UsageReportingClientConstructor;
} {
  if (loaded !== undefined) return loaded;
  const method = bidiMethodDefinition(usageV1Descriptor, USAGE_REPORTING_SERVICE_NAME, 'Report', {
    encodeRequest: encodeUsageBatch,
    decodeRequest: decodeUsageBatch,
    encodeResponse: encodeUsageAck,
    decodeResponse: decodeUsageAck,
  });
  const service: UsageReportingServiceDefinition = Object.freeze({ Report: method });
  const Client = makeClientConstructor(
    service,
    USAGE_REPORTING_SERVICE_NAME,
  ) as unknown as UsageReportingClientConstructor;
  loaded = Object.freeze({ service, Client });
  return loaded;
}
