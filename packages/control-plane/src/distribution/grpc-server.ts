import { readFileSync } from 'node:fs';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Runner } from '@hubpo/core';
import { HubpoError, errorMessage } from '@hubpo/core';
import { buildSnapshot, grpcTokenServerInterceptor, loadConfigDiscovery } from '@hubpo/snapshot';
import type { ConfigDiscoveryHandlers, GrpcTokenRefusal, Snapshot } from '@hubpo/snapshot';
import type { GrpcTlsFiles } from '../control-plane-config.js';
import type { Logger } from '../logger.js';
import type { PublishedSnapshots } from '../pipeline/published-snapshots.js';
import type { ClusterStore } from '../store/cluster-store.js';
import { DiscoveryStream } from './discovery-stream.js';
import type { DiscoveryCall } from './discovery-stream.js';
import type { GatewayRegistry } from './gateway-registry.js';

export interface GrpcServerOptions {
  /** `host:port`; port 0 binds a free port (see `address`). */
  readonly address: string;
  readonly published: PublishedSnapshots;
  readonly registry: GatewayRegistry;
  readonly clusters: ClusterStore;
  readonly logger: Logger;
  /** A cluster was registered by a gateway: translate for it. */
  readonly onNewCluster: (cluster: string) => void;
  readonly keepaliveMs: number;
  readonly keepaliveTimeoutMs: number;
  /** Server TLS, mutual when `clientCaFile` is set; plaintext without (warned unless on loopback). */
  readonly tls?: GrpcTlsFiles;
  /** More services on the same port (usage reporting); each is closed before the server shuts down. */
  readonly services?: readonly GrpcExtraService[];
  /**
   * Bearer token every call of every service on the port must carry (`HUBPO_GRPC_TOKEN`);
   * calls without it end UNAUTHENTICATED before their handler runs.
   */
  readonly token?: string;
}

/** Refused calls are logged at most this often (a gateway with a wrong token retries forever). */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** A service served beside ConfigDiscovery, with the same credentials and token. */
export interface GrpcExtraService {
  readonly service: ServiceDefinition;
  readonly handlers: UntypedServiceImplementation;
  /** Ends its open calls (so the shutdown does not wait for them). */
  close(): Promise<void>;
}

/**
 * The gRPC ConfigDiscovery server: one DiscoveryStream per gateway, pushed every snapshot
 * published for its cluster. Keepalive pings detect peers that vanished without closing their
 * connection, so their gateways are marked disconnected.
 */
export class GrpcConfigServer implements Runner {
  readonly name = 'grpc-config-discovery';
  readonly #o: GrpcServerOptions;
  readonly #streams = new Map<string, Set<DiscoveryStream>>();
  readonly #all = new Set<DiscoveryStream>();
  #server: Server | undefined;
  #subscription: { close(): void } | undefined;
  #address = '';
  #refusedAt = 0;
  #refusedSinceLog = 0;

  constructor(options: GrpcServerOptions) {
    this.#o = options;
  }

  /** `host:port` the server listens on (after start). */
  get address(): string {
    return this.#address;
  }

  async start(): Promise<void> {
    const server = new Server({
      'grpc.keepalive_time_ms': this.#o.keepaliveMs,
      'grpc.keepalive_timeout_ms': this.#o.keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_send_message_length': 256 * 1024 * 1024,
      'grpc.max_receive_message_length': 4 * 1024 * 1024,
      // One check for every service on the port, ahead of any handler.
      interceptors:
        this.#o.token === undefined
          ? []
          : [grpcTokenServerInterceptor(this.#o.token, (refusal) => this.#refused(refusal))],
    });
    const { service } = loadConfigDiscovery();
    const handlers: ConfigDiscoveryHandlers = { streamConfig: (call) => this.#accept(call) };
    server.addService(service, handlers);
    for (const extra of this.#o.services ?? []) server.addService(extra.service, extra.handlers);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(this.#o.address, this.#credentials(), (err, bound) =>
        err === null ? resolve(bound) : reject(err),
      );
    }).catch((err: unknown) => {
      throw new HubpoError(
        'UNAVAILABLE',
        `cannot listen for gRPC on ${this.#o.address}: ${errorMessage(err)}`,
        { cause: err },
      );
    });
    this.#server = server;
    this.#address = `${this.#o.address.replace(/:\d+$/, '')}:${port}`;
    this.#subscription = this.#o.published.subscribe((published) => {
      for (const stream of this.#streams.get(published.snapshot.cluster) ?? [])
        stream.offer(published.snapshot);
    });
    const tls = this.#o.tls === undefined ? 'off' : this.#o.tls.clientCaFile === undefined ? 'on' : 'mutual';
    const auth = this.#o.token === undefined ? 'none' : 'token';
    this.#o.logger.info({ address: this.#address, tls, auth }, 'gRPC ConfigDiscovery listening');
  }

  /** One warning per interval, counting the calls refused since the last one; never a token. */
  #refused(refusal: GrpcTokenRefusal): void {
    this.#refusedSinceLog += 1;
    const now = Date.now();
    if (now - this.#refusedAt < REFUSAL_LOG_INTERVAL_MS) return;
    this.#o.logger.warn(
      { ...refusal, refused: this.#refusedSinceLog, logIntervalMs: REFUSAL_LOG_INTERVAL_MS },
      refusal.reason === 'missing'
        ? 'gRPC call refused: no bearer token (gateways need HUBPO_GRPC_TOKEN)'
        : 'gRPC call refused: wrong bearer token (the gateway HUBPO_GRPC_TOKEN differs)',
    );
    this.#refusedAt = now;
    this.#refusedSinceLog = 0;
  }

  /** TLS credentials from the configured PEM files (read at each start), else plaintext. */
  #credentials(): ServerCredentials {
    const tls = this.#o.tls;
    if (this.#o.token === undefined && tls?.clientCaFile === undefined && !isLoopback(this.#o.address)) {
      this.#o.logger.warn(
        { address: this.#o.address },
        'the gRPC port is unauthenticated: anyone who reaches it can read config snapshots and report usage; ' +
          'set HUBPO_GRPC_TOKEN (and the same on gateways) or HUBPO_GRPC_TLS_CLIENT_CA',
      );
    }
    if (tls === undefined) {
      if (!isLoopback(this.#o.address)) {
        this.#o.logger.warn(
          { address: this.#o.address },
          'gRPC is plaintext on a non-loopback address: set HUBPO_GRPC_TLS_CERT and HUBPO_GRPC_TLS_KEY',
        );
      }
      return ServerCredentials.createInsecure();
    }
    try {
      const clientCa = tls.clientCaFile === undefined ? null : readFileSync(tls.clientCaFile);
      const keyCert = { cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) };
      // With a client CA, a gateway without a certificate chaining to it is refused in the handshake.
      return ServerCredentials.createSsl(clientCa, [keyCert], clientCa !== null);
    } catch (err) {
      throw new HubpoError('UNAVAILABLE', `cannot load the gRPC TLS files: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  async stop(): Promise<void> {
    this.#subscription?.close();
    for (const stream of [...this.#all]) stream.close();
    await Promise.all((this.#o.services ?? []).map((extra) => extra.close()));
    const server = this.#server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #accept(call: DiscoveryCall): void {
    const stream = new DiscoveryStream(call, {
      registry: this.#o.registry,
      logger: this.#o.logger,
      snapshotFor: (cluster) => this.#snapshotFor(cluster),
      attach: (s, cluster) => this.#attach(s, cluster),
    });
    this.#all.add(stream);
  }

  #attach(stream: DiscoveryStream, cluster: string | undefined): Snapshot | undefined {
    for (const set of this.#streams.values()) set.delete(stream);
    if (cluster === undefined) {
      this.#all.delete(stream);
      return undefined;
    }
    const set = this.#streams.get(cluster) ?? new Set();
    set.add(stream);
    this.#streams.set(cluster, set);
    return this.#o.published.get(cluster)?.snapshot;
  }

  /**
   * The cluster's published snapshot. A cluster never seen before is registered (and translated
   * in the background); until then its gateways get an empty snapshot at revision 0, not an error.
   */
  async #snapshotFor(cluster: string): Promise<Snapshot> {
    const known = this.#o.published.get(cluster);
    if (known !== undefined) return known.snapshot;
    if (await this.#o.clusters.ensure(cluster)) {
      this.#o.logger.info({ cluster }, 'new cluster registered by a gateway');
    }
    this.#o.onNewCluster(cluster);
    const raced = this.#o.published.get(cluster);
    if (raced !== undefined) return raced.snapshot;
    const empty = buildSnapshot(cluster, 0, []);
    this.#o.published.publish(empty, Date.now());
    return empty;
  }
}

/** Whether `host:port` binds loopback only (plaintext is fine there: local development). */
function isLoopback(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
