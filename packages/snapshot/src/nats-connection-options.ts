import type { ConnectionOptions } from 'nats';

/**
 * NATS connection options for config distribution: reconnect forever (a gateway outlives any
 * NATS outage and must resume its manifest watch when the server is back), detect a dead
 * connection within about 30 s. `overrides` win.
 */
export function configNatsConnectionOptions(
  servers: string | string[],
  overrides: Partial<ConnectionOptions> = {},
): ConnectionOptions {
  return {
    servers,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    reconnectJitter: 250,
    pingInterval: 10_000,
    maxPingOut: 3,
    ...overrides,
  };
}
