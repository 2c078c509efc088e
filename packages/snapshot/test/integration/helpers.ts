import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { configNatsConnectionOptions } from '@hubpo/snapshot';
import type { SnapshotObject } from '@hubpo/snapshot';

/** A client that reconnects forever and quickly, as gateways and the control plane connect. */
export function connectNats(url: string): Promise<NatsConnection> {
  return connect(configNatsConnectionOptions(url, { reconnectTimeWait: 100, reconnectJitter: 50 }));
}

export function routes(count: number, revisionTag = 'v1'): SnapshotObject[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: 'Route',
    name: `ns-${i % 10}/route.${i}`,
    value: {
      kind: 'Route',
      id: `ns-${i % 10}/route.${i}`,
      hostnames: [`r${i}.example.test`],
      tag: revisionTag,
    },
  }));
}

/** An object whose stable JSON is about `bytes` long. */
export function bigObject(name: string, bytes: number, seed = 'x'): SnapshotObject {
  return {
    kind: 'PromptTemplate',
    name,
    value: { kind: 'PromptTemplate', id: name, text: seed.repeat(bytes) },
  };
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Resolves at the connection's next reconnect. Call it before bouncing the server: requests sent
 * while disconnected can time out, as they would for the control plane, which retries them.
 */
export function nextReconnect(nc: NatsConnection): Promise<void> {
  const status = nc.status();
  return (async () => {
    for await (const event of status) if (String(event.type) === 'reconnect') return;
  })();
}
