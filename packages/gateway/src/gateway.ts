import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '@hubpo/core';
import type { DiscoveryNode } from '@hubpo/snapshot';
import { createTelemetry } from '@hubpo/telemetry';
import type { Telemetry } from '@hubpo/telemetry';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { Backoff } from './config/backoff.js';
import { ConfigApplier } from './config/config-applier.js';
import type { CompileRuntime } from './config/config-applier.js';
import type { ConfigDriver } from './config/config-driver.js';
import { GrpcConfigDriver } from './config/grpc-config-driver.js';
import { LastKnownGoodFile } from './config/last-known-good-file.js';
import { NatsConfigDriver } from './config/nats-config-driver.js';
import { RuntimeSlot } from './config/runtime-slot.js';
import { pinoAILogSink } from './ai/index.js';
import type { BreakerSettings, UsageSink } from './ai/index.js';
import { GATEWAY_BUILD, redactUrl, resolveTimeouts } from './gateway-config.js';
import type { GatewayConfig, GatewayTimeouts } from './gateway-config.js';
import { RuntimeState, compileRuntime } from './runtime/index.js';
import { createAdminListener } from './server/admin-server.js';
import type { HttpListener } from './server/http-listener.js';
import { NotReadyRuntime } from './server/not-ready-runtime.js';
import { createProxyListener } from './server/proxy-server.js';

/** A running gateway (in-process: tests start, stop and restart several). */
export interface Gateway {
  /** Base URL of the proxy listener. */
  readonly url: string;
  /** Base URL of the admin listener (`/healthz`, `/readyz`, `/metrics`, `/config`). */
  readonly adminUrl: string;
  /** The revision served, undefined before any config. */
  revision(): number | undefined;
  /** Serving a config and not stopping. */
  ready(): boolean;
  /** Resolves once `revision` (or a newer one) is served; rejects after `timeoutMs`. */
  waitForRevision(revision: number, timeoutMs: number): Promise<void>;
  /** Stops taking traffic, drains in-flight requests (up to the drain timeout), closes. Idempotent. */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** The runtime compiler; the runtime engine's `compileRuntime` unless a test injects a double. */
  readonly compileRuntime?: CompileRuntime;
  /** Shared telemetry (the caller shuts it down); by default the gateway creates and owns one. */
  readonly telemetry?: Telemetry;
  /** By default a pino logger at `config.logLevel` writing JSON to stdout. */
  readonly logger?: Logger;
  /** Where AI usage records go (one per AI request); by default they are dropped. */
  readonly usageSink?: UsageSink;
  /** AI target circuit breakers (default 5 consecutive failures, 30 s cool-down); tests shorten it. */
  readonly aiBreaker?: Partial<BreakerSettings>;
}

/** The gateway's JSON logger, tagged with its node and cluster. */
export function createGatewayLogger(config: GatewayConfig): Logger {
  return pino({
    level: config.logLevel ?? 'info',
    base: { service: 'hubpo-gateway', node: config.nodeId, cluster: config.cluster },
  });
}

/** The gateway's telemetry (what `createGateway` builds when none is passed in). */
export function createGatewayTelemetry(config: GatewayConfig): Telemetry {
  return createTelemetry({
    serviceName: 'hubpo-gateway',
    serviceVersion: config.build ?? GATEWAY_BUILD,
    attributes: { 'hubpo.cluster': config.cluster, 'service.instance.id': config.nodeId },
  });
}

/**
 * Starts a gateway (ARCHITECTURE.md "The config pipeline" §4), in this order:
 * 1. the last-known-good snapshot, if the data dir holds a valid one, is compiled and served;
 * 2. the proxy and admin listeners bind (before any config the proxy answers 503 NOT_READY);
 * 3. the config driver connects in the background and resumes from the held revision.
 * Resolves once both listeners accept connections; it never waits for the control plane.
 */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const timeouts = resolveTimeouts(config);
  const logger = options.logger ?? createGatewayLogger(config);
  const ownTelemetry = options.telemetry === undefined;
  const telemetry = options.telemetry ?? createGatewayTelemetry(config);
  const slot = new RuntimeSlot(new NotReadyRuntime());
  const lkg = new LastKnownGoodFile(config.dataDir);
  const state = new RuntimeState({
    telemetry,
    ai: {
      ...(options.usageSink === undefined ? {} : { usageSink: options.usageSink }),
      ...(options.aiBreaker === undefined ? {} : { breaker: options.aiBreaker }),
      ...(config.dataplaneKey === undefined ? {} : { dataplaneKey: config.dataplaneKey }),
      warn: (message, fields) => logger.warn(fields, message),
      aiLog: pinoAILogSink(logger),
    },
  });
  const applier = new ConfigApplier({
    cluster: config.cluster,
    slot,
    state,
    compile: options.compileRuntime ?? compileRuntime,
    lkg,
    logger,
    telemetry,
  });
  await restoreLastKnownGood(lkg, applier, logger);

  const driver = createDriver(config, timeouts, applier, logger);
  const gateway = new RunningGateway({
    config,
    timeouts,
    logger,
    telemetry,
    ownTelemetry,
    slot,
    state,
    applier,
    lkg,
    driver,
  });
  try {
    await gateway.listen();
  } catch (err) {
    await gateway.stop();
    throw err;
  }
  driver.start();
  logger.info(
    {
      url: gateway.url,
      adminUrl: gateway.adminUrl,
      driver: driver.kind,
      revision: gateway.revision() ?? null,
    },
    'gateway started',
  );
  return gateway;
}

/** Serves the LKG snapshot if there is a usable one; a missing, corrupt or rejected file is logged and skipped. */
async function restoreLastKnownGood(
  lkg: LastKnownGoodFile,
  applier: ConfigApplier,
  logger: Logger,
): Promise<void> {
  let snapshot;
  try {
    snapshot = await lkg.load();
  } catch (err) {
    logger.error(
      { path: lkg.path, err: errorMessage(err) },
      'ignoring an unreadable last-known-good snapshot',
    );
    return;
  }
  if (snapshot === undefined) {
    logger.info({ path: lkg.path }, 'no last-known-good snapshot; waiting for the control plane');
    return;
  }
  const outcome = applier.restore(snapshot);
  if (outcome.kind === 'applied') {
    logger.info({ path: lkg.path, revision: outcome.revision }, 'serving the last-known-good snapshot');
  } else {
    logger.error(
      { path: lkg.path, revision: snapshot.revision },
      'ignoring a last-known-good snapshot that does not apply',
    );
  }
}

function createDriver(
  config: GatewayConfig,
  timeouts: GatewayTimeouts,
  applier: ConfigApplier,
  logger: Logger,
): ConfigDriver {
  const backoff = new Backoff({ initialMs: timeouts.reconnectInitialMs, maxMs: timeouts.reconnectMaxMs });
  const driver = config.driver;
  if (driver.kind === 'grpc') {
    const node: DiscoveryNode = {
      id: config.nodeId,
      cluster: config.cluster,
      cloud: config.cloud ?? '',
      region: config.region ?? '',
      zone: config.zone ?? '',
      build: config.build ?? GATEWAY_BUILD,
      labels: new Map(),
    };
    return new GrpcConfigDriver({
      target: driver.target,
      node,
      applier,
      backoff,
      logger: logger.child({ driver: 'grpc' }),
      heartbeatIntervalMs: timeouts.heartbeatIntervalMs,
      keepaliveTimeMs: timeouts.keepaliveTimeMs,
      keepaliveTimeoutMs: timeouts.keepaliveTimeoutMs,
      ...(driver.tls === undefined ? {} : { tls: driver.tls }),
      ...(driver.token === undefined ? {} : { token: driver.token }),
    });
  }
  return new NatsConfigDriver({
    url: driver.url,
    ...(driver.bucket === undefined ? {} : { bucket: driver.bucket }),
    nodeId: config.nodeId,
    cluster: config.cluster,
    applier,
    backoff,
    logger: logger.child({ driver: 'nats' }),
    heartbeatIntervalMs: timeouts.heartbeatIntervalMs,
  });
}

interface RunningGatewayParts {
  readonly config: GatewayConfig;
  readonly timeouts: GatewayTimeouts;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly ownTelemetry: boolean;
  readonly slot: RuntimeSlot;
  readonly state: RuntimeState;
  readonly applier: ConfigApplier;
  readonly lkg: LastKnownGoodFile;
  readonly driver: ConfigDriver;
}

class RunningGateway implements Gateway {
  readonly #parts: RunningGatewayParts;
  readonly #proxy: HttpListener;
  readonly #admin: HttpListener;
  #url = '';
  #adminUrl = '';
  #stopping: Promise<void> | undefined;

  constructor(parts: RunningGatewayParts) {
    this.#parts = parts;
    this.#proxy = createProxyListener(parts.slot, parts.timeouts);
    this.#admin = createAdminListener({
      ready: () => this.ready(),
      revision: () => this.revision(),
      configStatus: () => this.#configStatus(),
      metrics: (req: IncomingMessage, res: ServerResponse) => parts.telemetry.metricsHandler(req, res),
    });
  }

  get url(): string {
    return this.#url;
  }

  get adminUrl(): string {
    return this.#adminUrl;
  }

  async listen(): Promise<void> {
    this.#url = await this.#proxy.listen(this.#parts.config.listen);
    this.#adminUrl = await this.#admin.listen(this.#parts.config.admin);
  }

  revision(): number | undefined {
    return this.#parts.slot.ready ? this.#parts.applier.held.revision : undefined;
  }

  ready(): boolean {
    return this.#parts.slot.ready && this.#stopping === undefined;
  }

  waitForRevision(revision: number, timeoutMs: number): Promise<void> {
    return this.#parts.applier.waitForRevision(revision, timeoutMs);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /**
   * Readiness turns 503 first (load balancers stop sending), config updates stop, the proxy
   * listener drains, then the runtime is retired and its upstream connections closed, the LKG
   * write finishes and the admin listener closes last (probes and scrapes work while draining).
   */
  async #stop(): Promise<void> {
    const { driver, timeouts, slot, state, applier, logger, telemetry, ownTelemetry } = this.#parts;
    logger.info({ drainTimeoutMs: timeouts.drainTimeoutMs }, 'gateway stopping');
    await driver.stop();
    await this.#proxy.close(timeouts.drainTimeoutMs);
    if (slot.ready) slot.current.retire();
    // Upstream keep-alive pools and proxied WebSockets still open after the drain.
    await state.close();
    await applier.flush();
    await this.#admin.close(1_000);
    if (ownTelemetry) await telemetry.shutdown();
    logger.info('gateway stopped');
  }

  #configStatus(): Record<string, unknown> {
    const { config, applier, driver, lkg } = this.#parts;
    const applied = applier.applied;
    const rejected = applier.lastRejected;
    const driverStatus = driver.status();
    return {
      nodeId: config.nodeId,
      cluster: config.cluster,
      cloud: config.cloud ?? null,
      region: config.region ?? null,
      build: config.build ?? GATEWAY_BUILD,
      ready: this.ready(),
      draining: this.#stopping !== undefined,
      revision: applied?.revision ?? null,
      hash: applied?.hash ?? null,
      // Control-plane epoch of `revision` (ADR 0008): revisions compare within one epoch only.
      // null when nothing is applied or the publisher predates epochs.
      epoch: applied === undefined || applied.epoch === '' ? null : applied.epoch,
      appliedAt: iso(applied?.appliedAt),
      source: applied?.source ?? null,
      resources: applied?.resources ?? 0,
      lastRejected:
        rejected === undefined
          ? null
          : {
              revision: rejected.revision,
              source: rejected.source,
              code: rejected.code,
              message: rejected.message,
              at: iso(rejected.at),
            },
      driver: {
        ...driverStatus,
        endpoint: redactUrl(driverStatus.endpoint),
        connectedAt: iso(driverStatus.connectedAt),
        lastUpdateAt: iso(driverStatus.lastUpdateAt),
      },
      lastKnownGood: { path: lkg.path },
    };
  }
}

function iso(epochMs: number | null | undefined): string | null {
  return epochMs === null || epochMs === undefined ? null : new Date(epochMs).toISOString();
}
