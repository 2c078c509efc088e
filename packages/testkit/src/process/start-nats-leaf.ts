import { HubpoError } from '@hubpo/core';
import { startNats } from './start-nats.js';
import type { NatsProcess } from './start-nats.js';

export interface NatsLeafOptions {
  /** JetStream domain of the leaf (one per cloud or region); must differ from the hub's. */
  readonly domain: string;
  /** `server_name`; default `leaf-<domain>`. */
  readonly serverName?: string;
  /** How long to wait for the leaf node connection; default 10 s. */
  readonly connectTimeoutMs?: number;
}

/**
 * Starts a nats-server on loopback that connects to `hub` as a leaf node, with JetStream in a
 * domain of its own (the topology of docs/install/multi-cluster.md), and resolves once the leaf
 * connection is up on both sides. Streams (the config mirror) are the caller's to create, e.g.
 * with `ensureConfigMirror` of @hubpo/snapshot. `hub` must have been started with `leafnodes`
 * and a `jetstreamDomain`.
 */
export async function startNatsLeaf(hub: NatsProcess, options: NatsLeafOptions): Promise<NatsProcess> {
  if (hub.leafnodeUrl === undefined || hub.jetstreamDomain === undefined) {
    throw new HubpoError(
      'BAD_REQUEST',
      `nats-server ${hub.serverName} is no hub: start it with leafnodes and a jetstreamDomain`,
    );
  }
  if (hub.jetstreamDomain === options.domain) {
    throw new HubpoError(
      'BAD_REQUEST',
      `a leaf needs a JetStream domain other than the hub's (${options.domain})`,
    );
  }
  const leaf = await startNats({
    serverName: options.serverName ?? `leaf-${options.domain}`,
    jetstreamDomain: options.domain,
    leafRemotes: [hub.leafnodeUrl],
  });
  try {
    await leaf.waitForLeafnodes(1, options.connectTimeoutMs ?? 10_000);
  } catch (error) {
    await leaf.stop();
    throw error;
  }
  return leaf;
}
