import { sql } from 'kysely';
import type { DestinationStream } from 'pino';
import { RunnerGroup, errorMessage } from '@hubpo/core';
import type { Runner } from '@hubpo/core';
import { createTelemetry } from '@hubpo/telemetry';
import type { Telemetry } from '@hubpo/telemetry';
import { createAdminApp } from './admin/admin-app.js';
import type { AdminDeps } from './admin/admin-app.js';
import { createAdminSecrets } from './admin/admin-secrets.js';
import { AdminServer } from './admin/admin-server.js';
import { createClusterApi } from './clusters/cluster-api.js';
import type { ClusterApi } from './clusters/cluster-api.js';
import { clusterState, operatorView } from './clusters/cluster-listing.js';
import type { ControlPlaneConfig } from './control-plane-config.js';
import { ControlPlaneMetrics } from './control-plane-metrics.js';
import { GatewayRegistry } from './distribution/gateway-registry.js';
import { GrpcConfigServer } from './distribution/grpc-server.js';
import { NatsPublisher } from './distribution/nats-publisher.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { ConfigPipeline } from './pipeline/config-pipeline.js';
import type { TranslateFn } from './pipeline/config-pipeline.js';
import { PublishedSnapshots } from './pipeline/published-snapshots.js';
import { ClusterStore } from './store/cluster-store.js';
import { openDatabase } from './store/database.js';
import type { DatabaseHandle } from './store/database.js';
import { startEmbeddedDatabase } from './store/embedded-database.js';
import type { EmbeddedDatabase } from './store/embedded-database.js';
import { GatewayStore } from './store/gateway-store.js';
import type { GatewayRecord } from './store/gateway-store.js';
import { migrate } from './store/migrations.js';
import { ResourceStore } from './store/resource-store.js';
import { SnapshotStore } from './store/snapshot-store.js';
import { createUsagePipeline } from './usage/usage-pipeline.js';

/** A running control plane (everything in this process). */
export interface ControlPlane {
  /** `http(s)://host:port` of the admin API (https with `adminTls`). */
  readonly adminUrl: string;
  /** `host:port` of the gRPC ConfigDiscovery server. */
  readonly grpcAddress: string;
  /** Runs pending translation and publication now (and writes statuses); for tests and tools. */
  flush(): Promise<void>;
  /** Graceful stop: stops serving, ends gateway streams, records state, closes the database. */
  stop(): Promise<void>;
}

/** Test and embedding seams; production passes none. */
export interface ControlPlaneHooks {
  readonly logger?: Logger;
  readonly logDestination?: DestinationStream;
  readonly translate?: TranslateFn;
}

/**
 * Builds and starts the control plane. Runners start in dependency order (gateway registry,
 * config pipeline, gRPC, NATS, admin API) and stop in reverse, so nothing outlives what it uses;
 * the database opens first and closes last.
 */
export async function createControlPlane(
  config: ControlPlaneConfig,
  hooks: ControlPlaneHooks = {},
): Promise<ControlPlane> {
  const logger = hooks.logger ?? createLogger(config.logLevel, hooks.logDestination);
  const embedded =
    config.databaseUrl === undefined ? await startEmbeddedDatabase(config.dataDir, logger) : undefined;
  let handle: DatabaseHandle | undefined;
  try {
    handle = openDatabase(embedded?.url ?? config.databaseUrl ?? '', (err) =>
      logger.warn({ err: errorMessage(err) }, 'idle database connection failed'),
    );
    const applied = await migrate(handle.db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    return await assemble(config, hooks, logger, handle, embedded);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}

async function assemble(
  config: ControlPlaneConfig,
  hooks: ControlPlaneHooks,
  logger: Logger,
  handle: DatabaseHandle,
  embedded: EmbeddedDatabase | undefined,
): Promise<ControlPlane> {
  const { db } = handle;
  const telemetry = createTelemetry({
    serviceName: 'hubpo-control-plane',
    attributes: { 'hubpo.cluster': config.cluster },
  });
  const metrics = new ControlPlaneMetrics(telemetry.meter);
  const clusters = new ClusterStore(db);
  const snapshots = new SnapshotStore(db);
  const gatewayStore = new GatewayStore(db);
  const published = new PublishedSnapshots();
  const store = new ResourceStore(db);
  const clusterApi = createClusterApi(config, handle, store, logger, () => pipeline.trigger());
  const secrets = createAdminSecrets(config, db, clusterApi.credentials, logger, () => pipeline.trigger());
  const registry = new GatewayRegistry({
    store: gatewayStore,
    clusters,
    logger,
    staleMs: config.gatewayStaleMs,
  });
  const pipeline = new ConfigPipeline({
    store,
    clusters,
    snapshots,
    published,
    gateways: registry,
    defaultCluster: config.cluster,
    debounceMs: config.debounceMs,
    maxWaitMs: config.maxWaitMs,
    resyncMs: config.resyncMs,
    logger,
    metrics,
    ...(hooks.translate === undefined ? {} : { translate: hooks.translate }),
    ...(secrets.credentials === undefined ? {} : { credentials: secrets.credentials }),
  });
  store.onCommit(() => pipeline.trigger());
  const translateFor = (): void => pipeline.trigger();
  const usage = createUsagePipeline(config, db, logger, telemetry);
  const grpc = new GrpcConfigServer({
    address: config.grpcAddr,
    published,
    registry,
    clusters,
    logger,
    onNewCluster: translateFor,
    keepaliveMs: config.grpcKeepaliveMs,
    keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
    services: [usage.reporting],
    ...(config.grpcTls === undefined ? {} : { tls: config.grpcTls }),
    ...(config.grpcToken === undefined ? {} : { token: config.grpcToken }),
  });
  const nats =
    config.natsUrl === undefined
      ? undefined
      : new NatsPublisher({
          url: config.natsUrl,
          published,
          registry,
          clusters,
          logger,
          onNewCluster: translateFor,
          replicas: config.natsReplicas,
        });
  const app = createAdminApp({
    ...adminDeps({
      config,
      logger,
      db,
      store,
      registry,
      gatewayStore,
      clusters,
      snapshots,
      published,
      pipeline,
      nats,
      telemetry,
      metrics,
      clusterApi,
    }),
    usage: usage.router,
    secrets: secrets.router,
  });
  const admin = new AdminServer(app, config.adminAddr, logger, config.adminTls);
  const runners: Runner[] = [
    registry,
    pipeline,
    grpc,
    ...(nats === undefined ? [] : [nats]),
    ...(usage.runner === undefined ? [] : [usage.runner]),
    admin,
    ...clusterApi.runners,
  ];
  const group = new RunnerGroup('control-plane', runners);
  const closeAll = async (): Promise<void> => {
    await telemetry.shutdown().catch(() => undefined);
    await handle.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
  };
  try {
    await group.start();
  } catch (err) {
    await closeAll();
    throw err;
  }
  logger.info(
    { admin: admin.url, grpc: grpc.address, nats: config.natsUrl !== undefined },
    'control plane started',
  );
  return handleOf(admin.url, grpc.address, pipeline, group, async () => {
    await closeAll();
    logger.info('control plane stopped');
  });
}

/** The running control plane: `stop` is idempotent and always closes the database. */
function handleOf(
  adminUrl: string,
  grpcAddress: string,
  pipeline: ConfigPipeline,
  group: RunnerGroup,
  closeAll: () => Promise<void>,
): ControlPlane {
  let stopping: Promise<void> | undefined;
  return {
    adminUrl,
    grpcAddress,
    flush: () => pipeline.flush(),
    stop: () => {
      stopping ??= (async () => {
        try {
          await pipeline.freezeStatuses();
          await group.stop();
        } finally {
          await closeAll();
        }
      })();
      return stopping;
    },
  };
}

interface Parts {
  readonly config: ControlPlaneConfig;
  readonly logger: Logger;
  readonly db: DatabaseHandle['db'];
  readonly store: ResourceStore;
  readonly registry: GatewayRegistry;
  readonly gatewayStore: GatewayStore;
  readonly clusters: ClusterStore;
  readonly snapshots: SnapshotStore;
  readonly published: PublishedSnapshots;
  readonly pipeline: ConfigPipeline;
  readonly nats: NatsPublisher | undefined;
  readonly telemetry: Telemetry;
  readonly metrics: ControlPlaneMetrics;
  readonly clusterApi: ClusterApi;
}

/** What the admin API reads, wired to the stores and runners. */
function adminDeps(parts: Parts): AdminDeps {
  const {
    config,
    logger,
    db,
    store,
    registry,
    gatewayStore,
    clusters,
    snapshots,
    published,
    pipeline,
    nats,
    telemetry,
    metrics,
    clusterApi,
  } = parts;
  return {
    token: config.adminToken,
    clusterApi: clusterApi.router,
    store,
    logger,
    gateways: async () => {
      await registry.flush();
      return (await gatewayStore.list()).map(gatewayView);
    },
    clusters: async () => {
      const operators = await clusterApi.registry.operators();
      return (await clusters.list()).map((c) => ({
        name: c.name,
        labels: c.labels,
        state: clusterState(c, config.clusterSilenceMs),
        lastSeen: c.lastSeen?.toISOString() ?? null,
        published: publishedView(published, c.name),
        operator: operatorView(operators.get(c.name)),
      }));
    },
    config: async () => ({
      revision: await store.currentRevision(),
      translatedRevision: pipeline.lastRun?.revision ?? null,
      failedClusters: pipeline.lastRun?.failedClusters ?? [],
      clusters: (await snapshots.summary()).map((s) => ({
        cluster: s.cluster,
        revision: s.revision,
        hash: s.hash,
        publishedAt: s.publishedAt.toISOString(),
        ...(nats === undefined ? {} : { nats: nats.written(s.cluster) ?? null }),
      })),
    }),
    readiness: async () => {
      const reasons: string[] = [];
      try {
        await sql`select 1`.execute(db);
      } catch {
        reasons.push('database unreachable');
      }
      if (!pipeline.ready) reasons.push('first translation not done');
      return { ready: reasons.length === 0, reasons };
    },
    metrics: (req, res) => telemetry.metricsHandler(req, res),
    observe: (route, method, status, seconds) => metrics.adminRequest(route, method, status, seconds),
  };
}

function gatewayView(g: GatewayRecord): Record<string, unknown> {
  return {
    nodeId: g.nodeId,
    cluster: g.cluster,
    transport: g.transport,
    node: g.node,
    appliedRevision: g.appliedRevision,
    appliedHash: g.appliedHash,
    connected: g.connected,
    lastSeen: g.lastSeen.toISOString(),
    lastAck: g.lastAckAt === null ? null : { at: g.lastAckAt.toISOString() },
    lastNack:
      g.lastNackAt === null
        ? null
        : { at: g.lastNackAt.toISOString(), error: g.lastNackError ?? '', revision: g.lastNackRevision },
  };
}

function publishedView(published: PublishedSnapshots, cluster: string): Record<string, unknown> | null {
  const p = published.get(cluster);
  return p === undefined
    ? null
    : { revision: p.snapshot.revision, hash: p.snapshot.hash, resources: p.snapshot.resources.size };
}
