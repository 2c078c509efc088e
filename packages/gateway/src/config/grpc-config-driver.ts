import { readFileSync } from 'node:fs';
import { connectivityState, credentials, status as GrpcStatus } from '@grpc/grpc-js';
import type {
  ChannelCredentials,
  ChannelOptions,
  ClientDuplexStream,
  ClientOptions,
  StatusObject,
} from '@grpc/grpc-js';
import { errorMessage } from '@hubpo/core';
import { grpcTokenClientInterceptor, loadConfigDiscovery } from '@hubpo/snapshot';
import type {
  ConfigDiscoveryClient,
  DiscoveryNode,
  DiscoveryRequest,
  DiscoveryResponse,
} from '@hubpo/snapshot';
import type { Logger } from 'pino';
import type { GrpcClientTls } from '../gateway-config.js';
import type { Backoff } from './backoff.js';
import type { ConfigApplier } from './config-applier.js';
import { DriverStats } from './config-driver.js';
import type { ConfigDriver, DriverStatus } from './config-driver.js';

export interface GrpcConfigDriverOptions {
  /** gRPC target of the control plane (`host:port`). */
  readonly target: string;
  readonly node: DiscoveryNode;
  readonly applier: ConfigApplier;
  readonly backoff: Backoff;
  readonly logger: Logger;
  readonly heartbeatIntervalMs: number;
  /** HTTP/2 keepalive ping period and the time an unanswered ping takes to declare the peer dead. */
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  /** TLS to the control plane (mutual with a client certificate); plaintext when absent. */
  readonly tls?: GrpcClientTls;
  /** Bearer token sent on the stream (`HUBPO_GRPC_TOKEN`) when the control plane requires one. */
  readonly token?: string;
}

type DiscoveryCall = ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;

/** Handshake failures in grpc-js status details (OpenSSL and node's TLS messages). */
const TLS_FAILURE = /certificate|SSL|TLS|handshake/i;
const TLS_HINT =
  'TLS handshake failed: HUBPO_CONTROL_PLANE_GRPC_CA must hold the CA of the control plane certificate ' +
  '(and HUBPO_CONTROL_PLANE_GRPC_CERT/_KEY a client certificate when it requires mutual TLS)';

const TOKEN_HINT =
  'HUBPO_GRPC_TOKEN (or HUBPO_GRPC_TOKEN_FILE) must hold the control plane token (its HUBPO_GRPC_TOKEN); ' +
  'no config is received until it does';
/** A refused token is logged as an error at most this often (the stream is retried forever). */
const TOKEN_ERROR_LOG_INTERVAL_MS = 60_000;

const NO_VERSIONS: ReadonlyMap<string, string> = new Map();

/**
 * The gRPC ConfigDiscovery client (proto/hubpo/config/v1/config.proto, delta-xDS style):
 * opens the stream with the node identity and what the gateway holds (revision, hash and resource
 * versions, so a gateway restarted from its LKG file gets a delta), applies each response as one
 * whole revision, answers it with an ACK or NACK carrying the response's nonce, and sends
 * heartbeats while idle. A closed stream is reopened forever with jittered exponential backoff;
 * HTTP/2 keepalive pings notice a control plane that vanished without closing the connection.
 */
export class GrpcConfigDriver implements ConfigDriver {
  readonly kind = 'grpc' as const;
  readonly #options: GrpcConfigDriverOptions;
  readonly #stats = new DriverStats();
  #client: ConfigDiscoveryClient | undefined;
  #call: DiscoveryCall | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #readyTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Streams that ended since the last response (quiets repeated reconnect logs). */
  #failures = 0;
  /** When a refused token was last logged as an error. */
  #tokenErrorAt = 0;
  /** The last stream ended with a refused token (and no response came since). */
  #tokenRefusedLast = false;

  constructor(options: GrpcConfigDriverOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#client !== undefined || this.#stopped) return;
    this.#reconnectTimer = undefined;
    let channelCredentials: ChannelCredentials;
    try {
      channelCredentials = this.#credentials();
    } catch (err) {
      // Unreadable TLS files (a Secret not mounted yet?): keep serving, try again later.
      this.#stats.lastError = `cannot load the gRPC TLS files: ${errorMessage(err)}`;
      this.#options.logger.error({ err: errorMessage(err) }, 'cannot load the gRPC TLS files; retrying');
      this.#reconnectTimer = setTimeout(() => this.start(), this.#options.backoff.next());
      return;
    }
    // Message size limits come from @hubpo/snapshot's configDiscoveryChannelOptions.
    const channelOptions: Partial<ChannelOptions> = {
      ...grpcClientTlsOptions(this.#options.tls),
      ...grpcClientTokenOptions(this.#options.token),
      'grpc.keepalive_time_ms': this.#options.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': this.#options.keepaliveTimeoutMs,
      // The channel's own reconnects stay within our cadence (reconnects are ours, per stream).
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5_000,
    };
    const { Client } = loadConfigDiscovery();
    this.#client = new Client(this.#options.target, channelCredentials, channelOptions);
    this.#open();
  }

  /** TLS credentials from the configured PEM files, else plaintext (warned unless on loopback). */
  #credentials(): ChannelCredentials {
    if (this.#options.tls === undefined && !isLoopbackTarget(this.#options.target)) {
      this.#options.logger.warn(
        { target: this.#options.target },
        'config stream is plaintext to a non-loopback control plane: set HUBPO_CONTROL_PLANE_GRPC_CA',
      );
    }
    return grpcClientCredentials(this.#options.tls);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stats.state = 'stopped';
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#stopHeartbeat();
    this.#stopReadyWatch();
    const call = this.#call;
    this.#call = undefined;
    call?.cancel();
    this.#client?.close();
  }

  status(): DriverStatus {
    return this.#stats.snapshot('grpc', this.#options.target);
  }

  #open(): void {
    const client = this.#client;
    if (this.#stopped || client === undefined) return;
    this.#reconnectTimer = undefined;
    this.#stats.state = 'connecting';
    const call: DiscoveryCall = client.streamConfig();
    this.#call = call;
    call.on('metadata', () => this.#onConnected(call));
    call.on('data', (response: DiscoveryResponse) => this.#onResponse(call, response));
    // 'error' precedes 'status' for every non-OK end; 'status' comes exactly once per call.
    call.on('error', (err: Error) => {
      if (this.#call === call) this.#stats.lastError = err.message;
    });
    call.on('status', (status: StatusObject) => this.#onClosed(call, status));
    // A control plane with nothing new sends nothing (not even headers): the channel's
    // readiness is what says the stream is up. Polled on a timer of our own (cleared on close and
    // stop) rather than grpc-js `waitForReady`, whose deadline timer outlives `close()`.
    this.#stopReadyWatch();
    this.#readyTimer = setInterval(() => {
      // After a refused token the channel is up but the stream is not: only a response (the
      // control plane answers every accepted hello) proves it is.
      if (this.#tokenRefusedLast) return;
      if (client.getChannel().getConnectivityState(false) !== connectivityState.READY) return;
      this.#stopReadyWatch();
      this.#onConnected(call);
    }, READY_POLL_MS);
    this.#readyTimer.unref();
    this.#startHeartbeat(call);
    const held = this.#options.applier.held;
    this.#write(call, {
      node: this.#options.node,
      revision: held.revision,
      snapshotHash: held.hash,
      epoch: held.epoch,
      initialResourceVersions: this.#options.applier.heldVersions(),
      responseNonce: '',
    });
    this.#options.logger.debug(
      { target: this.#options.target, revision: held.revision },
      'config stream opened',
    );
  }

  #onConnected(call: DiscoveryCall): void {
    if (this.#call !== call || this.#stats.state === 'connected') return;
    this.#stopReadyWatch();
    this.#stats.state = 'connected';
    this.#stats.connectedAt = Date.now();
    this.#stats.lastError = null;
    this.#options.logger.info({ target: this.#options.target }, 'connected to the control plane');
  }

  #onResponse(call: DiscoveryCall, response: DiscoveryResponse): void {
    if (this.#call !== call) return;
    this.#tokenRefusedLast = false;
    this.#onConnected(call);
    this.#options.backoff.reset();
    this.#failures = 0;
    this.#stats.lastUpdateAt = Date.now();
    const { nonce, ...update } = response;
    const outcome = this.#options.applier.apply(update, 'grpc');
    const reply: DiscoveryRequest = {
      revision: outcome.revision,
      snapshotHash: outcome.hash,
      epoch: this.#options.applier.held.epoch,
      initialResourceVersions: NO_VERSIONS,
      responseNonce: nonce,
      ...(outcome.kind === 'rejected'
        ? { errorDetail: { code: outcome.error.code, message: outcome.error.message } }
        : {}),
    };
    if (outcome.kind === 'rejected') this.#stats.nacks += 1;
    else this.#stats.acks += 1;
    this.#write(call, reply);
  }

  #onClosed(call: DiscoveryCall, status: StatusObject): void {
    if (this.#call !== call) return;
    this.#call = undefined;
    this.#stopHeartbeat();
    this.#stopReadyWatch();
    if (this.#stopped) return;
    if (this.#stats.state === 'connected') this.#stats.disconnects += 1;
    this.#stats.state = 'disconnected';
    this.#stats.lastError = `${status.code} ${status.details}`.trim();
    const delay = this.#options.backoff.next();
    if (status.code === GrpcStatus.UNAUTHENTICATED) {
      this.#failures += 1;
      this.#tokenRefusedLast = true;
      this.#tokenRefused(status, delay);
    } else {
      this.#logClosed(status, delay);
    }
    this.#reconnectTimer = setTimeout(() => this.#open(), delay);
  }

  #logClosed(status: StatusObject, delay: number): void {
    // The first failure in a row is a warning; the retries that follow are debug noise.
    const level = this.#failures === 0 ? 'warn' : 'debug';
    this.#failures += 1;
    this.#options.logger[level](
      {
        target: this.#options.target,
        tls: this.#options.tls === undefined ? 'off' : 'on',
        code: status.code,
        details: status.details,
        ...(TLS_FAILURE.test(status.details) ? { hint: TLS_HINT } : {}),
        retryInMs: delay,
      },
      'config stream closed; serving the current config and reconnecting',
    );
  }

  /**
   * The control plane refused the token (or its absence): a configuration error that retrying
   * will not fix, so it is an error in the logs (once a minute while it lasts) and on `/config`
   * (`driver.lastError`). Retries go on, so the gateway picks up a fixed control plane; without a
   * config it stays not ready.
   */
  #tokenRefused(status: StatusObject, delay: number): void {
    const now = Date.now();
    const level = now - this.#tokenErrorAt >= TOKEN_ERROR_LOG_INTERVAL_MS ? 'error' : 'debug';
    if (level === 'error') this.#tokenErrorAt = now;
    this.#options.logger[level](
      {
        target: this.#options.target,
        code: status.code,
        details: status.details,
        token: this.#options.token === undefined ? 'unset' : 'set',
        hint: TOKEN_HINT,
        retryInMs: delay,
      },
      'the control plane refused the gRPC token of this gateway; retrying',
    );
  }

  #startHeartbeat(call: DiscoveryCall): void {
    this.#stopHeartbeat();
    this.#heartbeatTimer = setInterval(() => {
      const held = this.#options.applier.held;
      this.#write(call, {
        revision: held.revision,
        snapshotHash: held.hash,
        epoch: held.epoch,
        initialResourceVersions: NO_VERSIONS,
        responseNonce: '',
        heartbeat: { sentAtUnixMs: Date.now() },
      });
    }, this.#options.heartbeatIntervalMs);
    this.#heartbeatTimer.unref();
  }

  #stopReadyWatch(): void {
    if (this.#readyTimer !== undefined) clearInterval(this.#readyTimer);
    this.#readyTimer = undefined;
  }

  #stopHeartbeat(): void {
    if (this.#heartbeatTimer !== undefined) clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }

  #write(call: DiscoveryCall, request: DiscoveryRequest): void {
    if (this.#call !== call) return;
    try {
      call.write(request);
    } catch (err) {
      // A write racing the stream's end; the 'status' handler reconnects.
      this.#options.logger.debug({ err: errorMessage(err) }, 'config stream write failed');
    }
  }
}

/** How often the channel's readiness is checked while a stream waits for its first message. */
const READY_POLL_MS = 50;

/** Whether a gRPC target (`host:port`, `ipv4:`, `dns:///host:port`, `unix:`) stays on this machine. */
function isLoopbackTarget(target: string): boolean {
  if (target.startsWith('unix:') || target.startsWith('unix-abstract:')) return true;
  const hostPort = target.replace(/^(dns|ipv4|ipv6):(\/\/[^/]*\/)?/, '').split(',')[0] ?? '';
  const host = hostPort.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * Channel credentials for a gRPC client of the control plane (the config stream, and anything
 * else dialled at `HUBPO_CONTROL_PLANE_GRPC`): TLS from the PEM files (read now; throws when one
 * cannot be read), mutual when a client certificate is given, plaintext without `tls`.
 */
export function grpcClientCredentials(tls: GrpcClientTls | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  const ca = readFileSync(tls.caFile);
  if (tls.certFile === undefined || tls.keyFile === undefined) return credentials.createSsl(ca);
  return credentials.createSsl(ca, readFileSync(tls.keyFile), readFileSync(tls.certFile));
}

/**
 * Client options that send the bearer token on every call of a client of the control plane
 * (the config stream, usage reports): none without a token.
 */
export function grpcClientTokenOptions(token: string | undefined): ClientOptions {
  return token === undefined ? {} : { interceptors: [grpcTokenClientInterceptor(token)] };
}

/** Channel options that go with `grpcClientCredentials` (the server name override). */
export function grpcClientTlsOptions(tls: GrpcClientTls | undefined): Partial<ChannelOptions> {
  return tls?.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': tls.serverName };
}
