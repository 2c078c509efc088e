import { HubpoError } from '@hubpo/core';
import type { Telemetry } from '@hubpo/telemetry';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../gateway-config.js';
import { JetStreamUsageSink } from './jetstream-usage-sink.js';

/** Where usage records go, from the environment. */
export interface UsageSinkConfig {
  /** `NATS_URL`: usage records are published to JetStream (whatever the config driver is). */
  readonly natsUrl?: string;
  /** `HUBPO_USAGE_QUEUE_SIZE`: records buffered while NATS is away (default 10 000). */
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

/**
 * The usage sink of a gateway process: the JetStream publisher when NATS is configured (started,
 * connecting in the background). Without NATS there is no usage pipeline: this logs it once and
 * returns undefined, and the gateway keeps usage only in its metrics (`gen_ai.client.token.usage`,
 * `hubpo.gen_ai.cost`).
 */
export function createUsageSink(
  usage: UsageSinkConfig,
  config: GatewayConfig,
  logger: Logger,
  telemetry: Telemetry,
): JetStreamUsageSink | undefined {
  if (usage.natsUrl === undefined) {
    logger.warn(
      'NATS_URL is not set: AI usage records are not published (usage is kept only in metrics); set NATS_URL to send them to the control plane',
    );
    return undefined;
  }
  const sink = new JetStreamUsageSink({
    servers: usage.natsUrl,
    cluster: config.cluster,
    logger: logger.child({ component: 'usage' }),
    meter: telemetry.meter,
    name: `hubpo-gateway ${config.nodeId} usage`,
    maxQueue: usage.maxQueue,
  });
  sink.start();
  return sink;
}
