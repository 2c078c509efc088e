import type { NatsConnection, StreamConfig } from 'nats';
import { HubpoError } from '@hubpo/core';
import { DEFAULT_CONFIG_BUCKET, kvStreamName } from './config-kv-layout.js';

export interface ConfigMirrorOptions {
  /** JetStream domain of the hub: the nats-server (cluster) the control plane publishes to. */
  readonly hubDomain: string;
  /** KV bucket name; default "hubpo-config". */
  readonly bucket?: string;
  /** Stream replicas of the mirror (the leaf node's JetStream cluster size); default 1. */
  readonly replicas?: number;
}

/**
 * The stream a leaf node keeps, in its own JetStream domain, so that gateways connected to it
 * read config locally (ADR 0002, addendum): a mirror of the hub's KV stream under the same name,
 * so a gateway binds the bucket by name whichever server it talks to. Mirrors keep subjects and
 * order, so a manifest arrives after everything it lists. Direct gets make the mirror answer
 * reads itself; one value per key, as on the hub (a delete marker replaces the value).
 */
export function configMirrorStreamConfig(options: ConfigMirrorOptions): Partial<StreamConfig> {
  const name = kvStreamName(options.bucket ?? DEFAULT_CONFIG_BUCKET);
  return {
    name,
    mirror: { name, external: { api: `$JS.${options.hubDomain}.API`, deliver: '' } },
    num_replicas: options.replicas ?? 1,
    allow_direct: true,
    mirror_direct: true,
    allow_rollup_hdrs: true,
    max_msgs_per_subject: 1,
  };
}

/**
 * Creates the config mirror on the server `nc` is connected to (a leaf node) unless it exists.
 * Idempotent; an existing stream of that name that is not a mirror of the hub's bucket is a
 * CONFLICT (for example one a gateway's publisher created locally by mistake), never replaced.
 */
export async function ensureConfigMirror(
  nc: NatsConnection,
  options: ConfigMirrorOptions,
): Promise<'created' | 'exists'> {
  const wanted = configMirrorStreamConfig(options);
  const name = wanted.name as string;
  const jsm = await nc.jetstreamManager();
  let existing;
  try {
    existing = await jsm.streams.info(name);
  } catch (err) {
    if (!/stream not found/i.test(String(err))) throw err;
    await jsm.streams.add(wanted);
    return 'created';
  }
  const mirror = existing.config.mirror;
  if (mirror?.name !== name || mirror.external?.api !== wanted.mirror?.external?.api) {
    throw new HubpoError(
      'CONFLICT',
      `stream ${name} exists on this server but is not a mirror of ${name} in JetStream domain ${options.hubDomain}`,
    );
  }
  return 'exists';
}
