import { HubpoError } from '@hubpo/core';
import type { Telemetry } from '@hubpo/telemetry';
import type { Logger } from 'pino';
import type { UsageSink } from '../ai/usage-sink.js';
import {
  grpcClientCredentials,
  grpcClientTlsOptions,
  grpcClientTokenOptions,
} from '../config/grpc-config-driver.js';
import type { GatewayConfig } from '../gateway-config.js';
import { GrpcUsageSink } from './grpc-usage-sink.js';
import { JetStreamUsageSink } from './jetstream-usage-sink.js';
import type { UsageSinkStats } from './usage-sink-stats.js';

/** Where usage records go, from the environment. */
export interface UsageSinkConfig {
  /**
   * `NATS_URL`: usage records are published to JetStream (whatever the config driver is); unset,
   * a gRPC-driver gateway reports them to its control plane over gRPC.
   */
  readonly natsUrl?: string;
  /** `HUBPO_USAGE_QUEUE_SIZE`: records buffered while the destination is away (default 10 000). */
  readonly maxQueue: number;
}

const DEFAULT_QUEUE = 10_000;
const MAX_QUEUE = 10_000_000;

/** Reads `NATS_URL` and `HUBPO_USAGE_QUEUE_SIZE`; throws VALIDATION naming a bad variable. */
export function loadUsageSinkConfig(env: Readonly<Record<string, string | undefined>>): UsageSinkConfig {
  const natsUrl = env['NATS_URL']?.trim();
  const rawQueue = env['HUBPO_USAGE_QUEUE_SIZE']?.trim();
  const maxQueue = rawQueue === undefined || rawQueue === '' ? DEFAULT_QUEUE : Number(rawQueue);
  if (!Number.isInteger(maxQueue) || maxQueue < 1 || maxQueue > MAX_QUEUE) {
    throw new HubpoError('VALIDATION', 'invalid gateway configuration', {
      issues: [{ path: 'HUBPO_USAGE_QUEUE_SIZE', message: `must be a whole number from 1 to ${MAX_QUEUE}` }],
    });
  }
  return { ...(natsUrl === undefined || natsUrl === '' ? {} : { natsUrl }), maxQueue };
}

/** A usage sink the gateway process owns: started by `createUsageSink`, stopped after the drain. */
export interface ProcessUsageSink extends UsageSink {
  stats(): UsageSinkStats;
  flush(timeoutMs: number): Promise<boolean>;
  stop(flushTimeoutMs?: number): Promise<void>;
}

/**
 * The usage sink of a gateway process (docs/design/usage-pipeline.md), started: the JetStream
 * publisher when NATS is configured (`NATS_URL`, or the NATS config driver's servers), otherwise
 * the gRPC reporter to the control plane the gRPC config driver talks to, with the same channel
 * credentials (TLS, client certificate) and bearer token as the config stream. Either buffers
 * while its destination is away; there is always one.
 */
export function createUsageSink(
  usage: UsageSinkConfig,
  config: GatewayConfig,
  logger: Logger,
  telemetry: Telemetry,
): ProcessUsageSink {
  const driver = config.driver;
  const natsUrl = usage.natsUrl ?? (driver.kind === 'nats' ? driver.url : undefined);
  const child = logger.child({ component: 'usage' });
  if (natsUrl !== undefined) {
    const sink = new JetStreamUsageSink({
      servers: natsUrl,
      cluster: config.cluster,
      logger: child,
      meter: telemetry.meter,
      name: `hubpo-gateway ${config.nodeId} usage`,
      maxQueue: usage.maxQueue,
    });
    sink.start();
    return sink;
  }
  // Without NATS the driver is gRPC (the NATS driver always has servers): report to its control plane.
  const target = driver.kind === 'grpc' ? driver.target : '';
  const tls = driver.kind === 'grpc' ? driver.tls : undefined;
  const token = driver.kind === 'grpc' ? driver.token : undefined;
  const sink = new GrpcUsageSink({
    target,
    // The config stream's TLS (client certificate under mutual TLS) and token: the same identity.
    credentials: grpcClientCredentials(tls),
    channelOptions: { ...grpcClientTlsOptions(tls), ...grpcClientTokenOptions(token) },
    cluster: config.cluster,
    nodeId: config.nodeId,
    logger: child,
    meter: telemetry.meter,
    maxQueue: usage.maxQueue,
  });
  sink.start();
  child.info({ target }, 'usage records are reported to the control plane over gRPC');
  return sink;
}
