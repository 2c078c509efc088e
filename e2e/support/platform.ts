import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlPlane, defaultConfig } from '@hubpo/control-plane';
import type { ControlPlane, ControlPlaneConfig } from '@hubpo/control-plane';
import { createGateway } from '@hubpo/gateway';
import type { BreakerSettings, Gateway, GrpcClientTls, UsageSink } from '@hubpo/gateway';
import { getFreePort, startNats, startPostgres } from '@hubpo/testkit';
import type { NatsOptions, NatsProcess, PostgresProcess } from '@hubpo/testkit';
import { AdminClient } from './admin-client.js';

export type Driver = 'grpc' | 'nats';

/** Optional extras of a gateway (AI journeys): where usage records go, the data-plane key. */
export interface GatewayExtras {
  readonly usageSink?: UsageSink;
  readonly dataplaneKey?: Buffer;
  readonly aiBreaker?: Partial<BreakerSettings>;
  /** NATS driver: the server to read config from (e.g. a leaf node) instead of `nats`. */
  readonly natsUrl?: string;
  /** gRPC driver: TLS towards the control plane (its CA, and a client certificate for mTLS). */
  readonly grpcTls?: GrpcClientTls;
}

export interface GatewayHandle {
  readonly nodeId: string;
  readonly dataDir: string;
  gateway: Gateway;
}

/**
 * Every program of the platform in this test process, on loopback ports of its own, with a real
 * Postgres database and (when asked) a real nats-server. Pieces can be stopped and started again
 * on the same ports and data, to play outages.
 */
export class Platform {
  readonly token = randomBytes(16).toString('hex');
  readonly #tmp = mkdtempSync(join(tmpdir(), 'hubpo-e2e-'));
  readonly #gateways: GatewayHandle[] = [];
  #postgres: PostgresProcess | undefined;
  #databaseUrl = '';
  #adminPort = 0;
  #grpcPort = 0;
  nats: NatsProcess | undefined;
  controlPlane: ControlPlane | undefined;
  admin!: AdminClient;

  /** `natsOptions` starts `nats` with them (e.g. as a leaf node hub); implies `nats`. */
  static async start(
    options: { nats?: boolean; natsOptions?: NatsOptions; controlPlane?: Partial<ControlPlaneConfig> } = {},
  ): Promise<Platform> {
    const p = new Platform();
    p.#postgres = await startPostgres();
    p.#databaseUrl = await p.#postgres.createDatabase();
    p.#adminPort = await getFreePort();
    p.#grpcPort = await getFreePort();
    if (options.nats === true || options.natsOptions !== undefined)
      p.nats = await startNats(options.natsOptions);
    await p.startControlPlane(options.controlPlane);
    return p;
  }

  controlPlaneConfig(overrides: Partial<ControlPlaneConfig> = {}): ControlPlaneConfig {
    return defaultConfig({
      adminToken: this.token,
      databaseUrl: this.#databaseUrl,
      dataDir: join(this.#tmp, 'cp'),
      adminAddr: `127.0.0.1:${this.#adminPort}`,
      grpcAddr: `127.0.0.1:${this.#grpcPort}`,
      debounceMs: 20,
      maxWaitMs: 500,
      resyncMs: 500,
      logLevel: 'silent',
      ...(this.nats === undefined ? {} : { natsUrl: this.nats.url }),
      ...overrides,
    });
  }

  async startControlPlane(overrides: Partial<ControlPlaneConfig> = {}): Promise<ControlPlane> {
    const cp = await createControlPlane(this.controlPlaneConfig(overrides));
    this.controlPlane = cp;
    this.admin = new AdminClient(cp.adminUrl, this.token);
    return cp;
  }

  async stopControlPlane(): Promise<void> {
    await this.controlPlane?.stop();
    this.controlPlane = undefined;
  }

  /** Starts a gateway of `cluster`; `nodeId` and data dir are reused when it is started again. */
  async startGateway(
    driver: Driver,
    nodeId = `gw-${this.#gateways.length}`,
    cluster = 'local',
    extras: GatewayExtras = {},
  ): Promise<GatewayHandle> {
    const existing = this.#gateways.find((g) => g.nodeId === nodeId);
    const dataDir = existing?.dataDir ?? join(this.#tmp, nodeId);
    const gateway = await createGateway(
      {
        nodeId,
        cluster,
        listen: { host: '127.0.0.1', port: 0 },
        admin: { host: '127.0.0.1', port: 0 },
        driver:
          driver === 'grpc'
            ? {
                kind: 'grpc',
                target: `127.0.0.1:${this.#grpcPort}`,
                ...(extras.grpcTls === undefined ? {} : { tls: extras.grpcTls }),
              }
            : { kind: 'nats', url: extras.natsUrl ?? this.nats?.url ?? 'nats://127.0.0.1:1' },
        dataDir,
        logLevel: 'silent',
        timeouts: { reconnectInitialMs: 50, reconnectMaxMs: 300, heartbeatIntervalMs: 1000 },
        ...(extras.dataplaneKey === undefined ? {} : { dataplaneKey: extras.dataplaneKey }),
      },
      {
        ...(extras.usageSink === undefined ? {} : { usageSink: extras.usageSink }),
        ...(extras.aiBreaker === undefined ? {} : { aiBreaker: extras.aiBreaker }),
      },
    );
    if (existing !== undefined) {
      existing.gateway = gateway;
      return existing;
    }
    const handle = { nodeId, dataDir, gateway };
    this.#gateways.push(handle);
    return handle;
  }

  async stop(): Promise<void> {
    for (const g of this.#gateways) await g.gateway.stop().catch(() => undefined);
    await this.stopControlPlane().catch(() => undefined);
    await this.nats?.stop();
    await this.#postgres?.stop();
    rmSync(this.#tmp, { recursive: true, force: true });
  }
}
