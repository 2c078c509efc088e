/** Everything that goes into one nats-server config file; all listeners are on 127.0.0.1. */
export interface NatsServerConfig {
  readonly serverName: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly storeDir: string;
  readonly jetstreamDomain?: string;
  /** Accept leaf node connections on this port (this server is a hub). */
  readonly leafnodeListenPort?: number;
  /** Connect as a leaf node to each of these hubs (one remote per URL, bound to the global account). */
  readonly leafRemotes?: readonly string[];
}

/**
 * Renders a nats-server (2.9+) config file. Strings are written JSON-quoted, which the config
 * parser accepts. See https://docs.nats.io/running-a-nats-service/configuration.
 */
export function renderNatsConfig(config: NatsServerConfig): string {
  const lines = [
    '# Written by @hubpo/testkit startNats().',
    `server_name: ${quote(config.serverName)}`,
    `listen: ${quote(`127.0.0.1:${config.port}`)}`,
    `http: ${quote(`127.0.0.1:${config.monitorPort}`)}`,
    'jetstream {',
    `  store_dir: ${quote(config.storeDir)}`,
  ];
  if (config.jetstreamDomain !== undefined) lines.push(`  domain: ${quote(config.jetstreamDomain)}`);
  lines.push('}');
  const remotes = config.leafRemotes ?? [];
  if (config.leafnodeListenPort !== undefined || remotes.length > 0) {
    lines.push('leafnodes {');
    if (config.leafnodeListenPort !== undefined) {
      lines.push(`  listen: ${quote(`127.0.0.1:${config.leafnodeListenPort}`)}`);
    }
    if (remotes.length > 0) {
      lines.push('  remotes: [');
      for (const url of remotes) lines.push(`    { urls: [${quote(url)}] }`);
      lines.push('  ]');
    }
    lines.push('}');
  }
  return `${lines.join('\n')}\n`;
}

function quote(value: string): string {
  return JSON.stringify(value);
}
