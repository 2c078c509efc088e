import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { HubpoError, readPemFile } from '@hubpo/core';
import type { FieldIssue } from '@hubpo/core';
import { grpcTokenFromEnv } from '@hubpo/snapshot';

/** Build identity sent to the control plane (Node.build) and shown on `/config`. */
export const GATEWAY_BUILD = 'hubpo-gateway/0.1.0';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface ListenAddress {
  readonly host: string;
  /** 0 asks the OS for a free port (tests); `Gateway.url` reports the bound one. */
  readonly port: number;
}

/** Where config comes from (ARCHITECTURE.md "The config pipeline" §3). */
export type ConfigDriverConfig =
  | {
      readonly kind: 'grpc';
      /** gRPC target of the control plane's ConfigDiscovery service (`host:port`, `dns:///...`). */
      readonly target: string;
      /** TLS to the control plane; plaintext when absent. */
      readonly tls?: GrpcClientTls;
      /**
       * Bearer token sent on every gRPC call (config stream, usage reports) when the control
       * plane requires one (`HUBPO_GRPC_TOKEN` or `HUBPO_GRPC_TOKEN_FILE`). Never shown or logged.
       */
      readonly token?: string;
    }
  | {
      readonly kind: 'nats';
      /** One or more server URLs, comma-separated (`nats://127.0.0.1:4222`). May hold credentials. */
      readonly url: string;
      /** KV bucket name; the @hubpo/snapshot default when absent. */
      readonly bucket?: string;
    };

/**
 * TLS of the gRPC connection to the control plane (PEM file paths, read when the driver starts,
 * so a config object never holds key material).
 */
export interface GrpcClientTls {
  /** CA bundle the control plane's certificate must chain to (`HUBPO_CONTROL_PLANE_GRPC_CA`). */
  readonly caFile: string;
  /** Client certificate chain and key for mutual TLS (`HUBPO_CONTROL_PLANE_GRPC_CERT`, `_KEY`). */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Name checked against the server certificate instead of the target's host (`_SERVER_NAME`). */
  readonly serverName?: string;
}

/** Timers of the gateway, in milliseconds. Every field has a default (`DEFAULT_GATEWAY_TIMEOUTS`). */
export interface GatewayTimeouts {
  /** Time allowed to receive a request's headers (slowloris guard). */
  readonly headersTimeoutMs: number;
  /** Time allowed to receive a whole request (not the response: streams may run longer). */
  readonly requestTimeoutMs: number;
  /** Idle keep-alive time; above the usual cloud load balancer idle timeout (60 s). */
  readonly keepAliveTimeoutMs: number;
  /** On stop, how long in-flight requests may finish before their connections are cut. */
  readonly drainTimeoutMs: number;
  /** Period of the driver's heartbeat (gRPC heartbeat message, NATS heartbeat ACK). */
  readonly heartbeatIntervalMs: number;
  /** First reconnect delay to the control plane; doubles up to `reconnectMaxMs`, with jitter. */
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  /** gRPC: HTTP/2 ping period, and how long an unanswered ping takes to declare the control plane dead. */
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
}

export const DEFAULT_GATEWAY_TIMEOUTS: GatewayTimeouts = Object.freeze({
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 65_000,
  drainTimeoutMs: 25_000,
  heartbeatIntervalMs: 15_000,
  reconnectInitialMs: 200,
  reconnectMaxMs: 5_000,
  keepaliveTimeMs: 20_000,
  keepaliveTimeoutMs: 10_000,
});

/** Everything a gateway needs to start. `main.ts` builds it from the environment. */
export interface GatewayConfig {
  /** Unique per gateway process (pod name); `[A-Za-z0-9._-]`. */
  readonly nodeId: string;
  /** The cluster whose snapshot this gateway serves (a DNS label). */
  readonly cluster: string;
  readonly cloud?: string;
  readonly region?: string;
  readonly zone?: string;
  readonly build?: string;
  /** The proxy listener (client traffic). */
  readonly listen: ListenAddress;
  /** The admin listener: `/healthz`, `/readyz`, `/metrics`, `/config`. */
  readonly admin: ListenAddress;
  readonly driver: ConfigDriverConfig;
  /** Directory of the last-known-good snapshot file. Created when missing. */
  readonly dataDir: string;
  readonly logLevel?: LogLevel;
  readonly timeouts?: Partial<GatewayTimeouts>;
  /**
   * `HUBPO_DATAPLANE_KEY` (32 bytes): opens the provider credentials the control plane sealed
   * into AIModel targets (ADR 0006). Without it, targets that carry a credential are left out.
   */
  readonly dataplaneKey?: Buffer;
}

/** What `loadGatewayConfig` reads besides the environment (injected so tests are hermetic). */
export interface HostFacts {
  readonly hostname: string;
  readonly pid: number;
  readonly cwd: string;
}

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const GRPC_SCHEME = /^(dns|unix|unix-abstract|ipv4|ipv6):/;

/**
 * Maps the environment to a validated GatewayConfig. Every problem is reported at once, each
 * naming its variable; throws HubpoError('VALIDATION') with those issues.
 *
 * Listener defaults bind to loopback for local runs and to every interface inside Kubernetes
 * (detected by KUBERNETES_SERVICE_HOST), where the kubelet probes and the Service reach the pod IP.
 */
export function loadGatewayConfig(
  env: Readonly<Record<string, string | undefined>>,
  host: HostFacts = { hostname: hostname(), pid: process.pid, cwd: process.cwd() },
): GatewayConfig {
  const issues: FieldIssue[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const bindHost = read('KUBERNETES_SERVICE_HOST') === undefined ? '127.0.0.1' : '0.0.0.0';

  const nodeId = read('HUBPO_NODE_ID') ?? sanitizeNodeId(`${host.hostname}-${host.pid}`);
  if (!NODE_ID.test(nodeId)) {
    issues.push({
      path: 'HUBPO_NODE_ID',
      message: `"${nodeId}" must be 1-253 characters of A-Z a-z 0-9 . _ -`,
    });
  }
  const cluster = read('HUBPO_CLUSTER') ?? 'local';
  if (!DNS_LABEL.test(cluster)) {
    issues.push({
      path: 'HUBPO_CLUSTER',
      message: `"${cluster}" must be a DNS label (a-z 0-9 -, at most 63)`,
    });
  }
  const listen = parseAddress('HUBPO_LISTEN_ADDR', read('HUBPO_LISTEN_ADDR') ?? `${bindHost}:8080`, issues);
  const admin = parseAddress('HUBPO_ADMIN_ADDR', read('HUBPO_ADMIN_ADDR') ?? `${bindHost}:9091`, issues);
  const driver = parseDriver(read, issues);
  const logLevel = (read('HUBPO_LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    issues.push({ path: 'HUBPO_LOG_LEVEL', message: `"${logLevel}" is not one of ${LOG_LEVELS.join(', ')}` });
  }
  if (listen !== undefined && admin !== undefined && listen.port !== 0 && listen.port === admin.port) {
    issues.push({ path: 'HUBPO_ADMIN_ADDR', message: `port ${admin.port} is also HUBPO_LISTEN_ADDR's` });
  }
  const dataplaneKey = parseDataplaneKey(read('HUBPO_DATAPLANE_KEY'), issues);
  if (issues.length > 0 || listen === undefined || admin === undefined || driver === undefined) {
    throw new HubpoError('VALIDATION', 'invalid gateway configuration', { issues });
  }
  const cloud = read('HUBPO_CLOUD');
  const region = read('HUBPO_REGION');
  return {
    nodeId,
    cluster,
    ...(cloud === undefined ? {} : { cloud }),
    ...(region === undefined ? {} : { region }),
    build: GATEWAY_BUILD,
    listen,
    admin,
    driver,
    dataDir: resolve(host.cwd, read('HUBPO_DATA_DIR') ?? `.hubpo/gateway-${cluster}`),
    logLevel: logLevel as LogLevel,
    ...(dataplaneKey === undefined ? {} : { dataplaneKey }),
  };
}

/** A base64 AES-256 key (`openssl rand -base64 32`); the value is never echoed in issues. */
function parseDataplaneKey(value: string | undefined, issues: FieldIssue[]): Buffer | undefined {
  if (value === undefined) return undefined;
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : Buffer.alloc(0);
  if (key.length === 32) return key;
  issues.push({
    path: 'HUBPO_DATAPLANE_KEY',
    message: 'must be 32 random bytes in base64 (for example `openssl rand -base64 32`)',
  });
  return undefined;
}

function parseDriver(
  read: (name: string) => string | undefined,
  issues: FieldIssue[],
): ConfigDriverConfig | undefined {
  const kind = read('HUBPO_CONFIG_DRIVER') ?? 'grpc';
  if (kind === 'grpc') {
    const target = read('HUBPO_CONTROL_PLANE_GRPC');
    if (target === undefined) {
      issues.push({
        path: 'HUBPO_CONTROL_PLANE_GRPC',
        message: 'required with HUBPO_CONFIG_DRIVER=grpc (host:port)',
      });
      return undefined;
    }
    if (!GRPC_SCHEME.test(target) && parseHostPort(target) === undefined) {
      issues.push({ path: 'HUBPO_CONTROL_PLANE_GRPC', message: `"${target}" is not host:port` });
      return undefined;
    }
    const tls = parseGrpcTls(read, issues);
    const token = parseGrpcToken(read, issues);
    return {
      kind: 'grpc',
      target,
      ...(tls === undefined ? {} : { tls }),
      ...(token === undefined ? {} : { token }),
    };
  }
  if (kind === 'nats') {
    const url = read('NATS_URL') ?? 'nats://127.0.0.1:4222';
    const bad = url.split(',').find((server) => !isNatsServer(server.trim()));
    if (bad !== undefined) {
      issues.push({
        path: 'NATS_URL',
        message: `"${redactUrl(bad)}" is not a nats:// or tls:// URL or host:port`,
      });
      return undefined;
    }
    return { kind: 'nats', url };
  }
  issues.push({ path: 'HUBPO_CONFIG_DRIVER', message: `"${kind}" is not one of grpc, nats` });
  return undefined;
}

/**
 * `HUBPO_CONTROL_PLANE_GRPC_CA` turns on TLS; `HUBPO_CONTROL_PLANE_GRPC_CERT` and `_KEY` (both or
 * neither) add a client certificate; `_SERVER_NAME` overrides the name checked. Files are read
 * here so that a wrong path is reported at start, with its variable; contents are never echoed.
 */
function parseGrpcTls(
  read: (name: string) => string | undefined,
  issues: FieldIssue[],
): GrpcClientTls | undefined {
  const caFile = read('HUBPO_CONTROL_PLANE_GRPC_CA');
  const certFile = read('HUBPO_CONTROL_PLANE_GRPC_CERT');
  const keyFile = read('HUBPO_CONTROL_PLANE_GRPC_KEY');
  const serverName = read('HUBPO_CONTROL_PLANE_GRPC_SERVER_NAME');
  if (caFile === undefined) {
    for (const [name, value] of [
      ['HUBPO_CONTROL_PLANE_GRPC_CERT', certFile],
      ['HUBPO_CONTROL_PLANE_GRPC_KEY', keyFile],
      ['HUBPO_CONTROL_PLANE_GRPC_SERVER_NAME', serverName],
    ] as const) {
      if (value !== undefined)
        issues.push({
          path: name,
          message: 'needs HUBPO_CONTROL_PLANE_GRPC_CA (the CA that signed the control plane certificate)',
        });
    }
    return undefined;
  }
  checkPem('HUBPO_CONTROL_PLANE_GRPC_CA', caFile, 'CERTIFICATE', issues);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const missing = certFile === undefined ? 'HUBPO_CONTROL_PLANE_GRPC_CERT' : 'HUBPO_CONTROL_PLANE_GRPC_KEY';
    issues.push({ path: missing, message: 'client certificate and key go together: set both or neither' });
  }
  if (certFile !== undefined) checkPem('HUBPO_CONTROL_PLANE_GRPC_CERT', certFile, 'CERTIFICATE', issues);
  if (keyFile !== undefined) checkPem('HUBPO_CONTROL_PLANE_GRPC_KEY', keyFile, 'PRIVATE KEY', issues);
  return {
    caFile,
    ...(certFile === undefined ? {} : { certFile }),
    ...(keyFile === undefined ? {} : { keyFile }),
    ...(serverName === undefined ? {} : { serverName }),
  };
}

/** `HUBPO_GRPC_TOKEN` or `HUBPO_GRPC_TOKEN_FILE` (@hubpo/snapshot checks both, as the control plane does). */
function parseGrpcToken(
  read: (name: string) => string | undefined,
  issues: FieldIssue[],
): string | undefined {
  try {
    return grpcTokenFromEnv({
      HUBPO_GRPC_TOKEN: read('HUBPO_GRPC_TOKEN'),
      HUBPO_GRPC_TOKEN_FILE: read('HUBPO_GRPC_TOKEN_FILE'),
    });
  } catch (err) {
    if (!HubpoError.is(err, 'VALIDATION')) throw err;
    issues.push(...err.issues);
    return undefined;
  }
}

/** Reports `name` unless `path` is readable and holds a `-----BEGIN ...<label>-----` block. */
function checkPem(name: string, path: string, label: string, issues: FieldIssue[]): void {
  const read = readPemFile(path, label);
  if ('problem' in read) issues.push({ path: name, message: read.problem });
}

function parseAddress(name: string, value: string, issues: FieldIssue[]): ListenAddress | undefined {
  const parsed = parseHostPort(value);
  if (parsed === undefined)
    issues.push({ path: name, message: `"${value}" is not host:port (e.g. 127.0.0.1:8080, [::]:8080)` });
  return parsed;
}

/** Parses `host:port` or `[ipv6]:port`; port 0-65535. */
export function parseHostPort(value: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65_535) return undefined;
  return { host: match[1] ?? match[2] ?? '', port };
}

function isNatsServer(server: string): boolean {
  if (/^[A-Za-z0-9.-]+:\d{1,5}$/.test(server)) return true;
  try {
    const url = new URL(server);
    return (url.protocol === 'nats:' || url.protocol === 'tls:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function sanitizeNodeId(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 253);
}

/** A URL with its user info removed, safe for logs and `/config`. */
export function redactUrl(value: string): string {
  return value
    .split(',')
    .map((part) => part.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1***@'))
    .join(',');
}

/** The config with every timer filled in. */
export function resolveTimeouts(config: GatewayConfig): GatewayTimeouts {
  return { ...DEFAULT_GATEWAY_TIMEOUTS, ...config.timeouts };
}
