import { createSecureContext } from 'node:tls';
import { HubpoError, readPemFile } from '@hubpo/core';
import { grpcTokenFromEnv } from '@hubpo/snapshot';
import { parseKey } from './clusters/secret-box.js';

/** Everything the control plane needs to run; `configFromEnv` builds it from the environment. */
export interface ControlPlaneConfig {
  /** Postgres connection string; when undefined an embedded Postgres is started in `dataDir`. */
  readonly databaseUrl?: string;
  /** Holds the embedded Postgres data directory (`<dataDir>/postgres`). */
  readonly dataDir: string;
  /** Bearer token required by every admin API call except the health probes. */
  readonly adminToken: string;
  /** `host:port` of the admin REST API; port 0 picks a free port (see `ControlPlane.adminUrl`). */
  readonly adminAddr: string;
  /**
   * TLS of the admin listener (`HUBPO_ADMIN_TLS_*`): the admin API, the cluster API, `/metrics`
   * and `/healthz` are served over HTTPS. Plaintext when absent.
   */
  readonly adminTls?: AdminTlsFiles;
  /** `host:port` of the gRPC ConfigDiscovery server; port 0 picks a free port. */
  readonly grpcAddr: string;
  /** TLS of the gRPC server (`HUBPO_GRPC_TLS_*`); plaintext when absent. */
  readonly grpcTls?: GrpcTlsFiles;
  /**
   * Bearer token every call on the gRPC port must carry (`HUBPO_GRPC_TOKEN` or
   * `HUBPO_GRPC_TOKEN_FILE`, at least 16 characters); without it the port admits any caller
   * its TLS admits.
   */
  readonly grpcToken?: string;
  /** Enables the NATS JetStream driver when set. */
  readonly natsUrl?: string;
  /**
   * Replicas of the NATS streams the control plane creates (the config KV bucket), 1..5
   * (`HUBPO_NATS_REPLICAS`); at most the JetStream cluster's server count. Existing streams keep theirs.
   */
  readonly natsReplicas: number;
  /** Cluster of objects written through the admin API, always translated. */
  readonly cluster: string;
  /** Quiet period before a burst of writes is translated; a burst waits at most `maxWaitMs`. */
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  readonly logLevel: string;
  /** Gateways silent for this long (no stream, no heartbeat) are counted as disconnected. */
  readonly gatewayStaleMs: number;
  /** Period of the check that picks up writes made by another replica. */
  readonly resyncMs: number;
  /** gRPC keepalive: ping an idle peer this often, drop it when a ping is not answered in time. */
  readonly grpcKeepaliveMs: number;
  readonly grpcKeepaliveTimeoutMs: number;
  /**
   * Operators register their cluster with this token (`HUBPO_BOOTSTRAP_TOKEN`); without it the
   * cluster API (`/api/v1/clusters/register`, `/api/v1/clusters/<name>/...`) answers 404.
   */
  readonly bootstrapToken?: string;
  /**
   * base64 of 32 bytes (`HUBPO_SECRET_KEY`): AES-256-GCM key of the provider credentials stored in
   * Postgres. Required when `bootstrapToken` is set.
   */
  readonly secretKey?: string;
  /**
   * base64 of 32 bytes (`HUBPO_DATAPLANE_KEY`): seals provider credentials in snapshots for the
   * gateways. Without it, AIModel targets with credentials stay `ResolvedRefs=False`.
   */
  readonly dataplaneKey?: string;
  /** A cluster with no operator heartbeat and no gateway activity for this long is shown unreachable. */
  readonly clusterSilenceMs: number;
}

/**
 * PEM files of the gRPC server's TLS. The paths are kept, not the bytes: the server reads them
 * when it starts, and a config object never holds key material that a log line could print.
 */
export interface GrpcTlsFiles {
  /** Certificate chain, leaf first (`HUBPO_GRPC_TLS_CERT`). */
  readonly certFile: string;
  /** Its private key (`HUBPO_GRPC_TLS_KEY`). */
  readonly keyFile: string;
  /** CA bundle that gateway client certificates must chain to (`HUBPO_GRPC_TLS_CLIENT_CA`): mutual TLS. */
  readonly clientCaFile?: string;
}

/** PEM files of the admin listener's TLS; paths only, read when the listener starts (see GrpcTlsFiles). */
export interface AdminTlsFiles {
  /** Certificate chain, leaf first (`HUBPO_ADMIN_TLS_CERT`). */
  readonly certFile: string;
  /** Its private key (`HUBPO_ADMIN_TLS_KEY`). */
  readonly keyFile: string;
}

export const CONFIG_DEFAULTS = Object.freeze({
  dataDir: './.hubpo',
  adminAddr: '127.0.0.1:9080',
  grpcAddr: '127.0.0.1:18000',
  cluster: 'local',
  debounceMs: 100,
  maxWaitMs: 2000,
  logLevel: 'info',
  gatewayStaleMs: 60_000,
  resyncMs: 10_000,
  grpcKeepaliveMs: 20_000,
  grpcKeepaliveTimeoutMs: 10_000,
  clusterSilenceMs: 60_000,
  natsReplicas: 1,
});

/** A config with every default filled in; tests override what they need. */
export function defaultConfig(
  overrides: Partial<ControlPlaneConfig> & Pick<ControlPlaneConfig, 'adminToken'>,
): ControlPlaneConfig {
  return { ...CONFIG_DEFAULTS, ...overrides };
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * Reads the control plane's environment (README "Configuration"). Throws a BAD_REQUEST
 * HubpoError naming the variable when one is missing or malformed; never echoes a secret.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): ControlPlaneConfig {
  const adminToken = env['HUBPO_ADMIN_TOKEN'] ?? '';
  if (adminToken.trim() === '') {
    throw new HubpoError(
      'BAD_REQUEST',
      'HUBPO_ADMIN_TOKEN is required: set it to the bearer token of the admin API',
    );
  }
  const logLevel = nonEmpty(env['HUBPO_LOG_LEVEL']) ?? CONFIG_DEFAULTS.logLevel;
  if (!LOG_LEVELS.has(logLevel)) {
    throw new HubpoError('BAD_REQUEST', `HUBPO_LOG_LEVEL must be one of ${[...LOG_LEVELS].join(', ')}`);
  }
  const databaseUrl = nonEmpty(env['DATABASE_URL']);
  const natsUrl = nonEmpty(env['NATS_URL']);
  const grpcToken = grpcTokenFromEnv(env);
  return {
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    ...(natsUrl === undefined ? {} : { natsUrl }),
    natsReplicas: natsReplicas(env),
    ...clusterApiFromEnv(env),
    ...grpcTlsFromEnv(env),
    ...(grpcToken === undefined ? {} : { grpcToken }),
    ...adminTlsFromEnv(env),
    adminToken,
    dataDir: nonEmpty(env['HUBPO_DATA_DIR']) ?? CONFIG_DEFAULTS.dataDir,
    adminAddr: address(env, 'HUBPO_ADMIN_ADDR', CONFIG_DEFAULTS.adminAddr),
    grpcAddr: address(env, 'HUBPO_GRPC_ADDR', CONFIG_DEFAULTS.grpcAddr),
    cluster: clusterName(nonEmpty(env['HUBPO_CLUSTER']) ?? CONFIG_DEFAULTS.cluster),
    debounceMs: integer(env, 'HUBPO_DEBOUNCE_MS', CONFIG_DEFAULTS.debounceMs),
    maxWaitMs: CONFIG_DEFAULTS.maxWaitMs,
    logLevel,
    gatewayStaleMs: CONFIG_DEFAULTS.gatewayStaleMs,
    resyncMs: CONFIG_DEFAULTS.resyncMs,
    grpcKeepaliveMs: CONFIG_DEFAULTS.grpcKeepaliveMs,
    grpcKeepaliveTimeoutMs: CONFIG_DEFAULTS.grpcKeepaliveTimeoutMs,
    clusterSilenceMs: seconds(env, 'HUBPO_CLUSTER_SILENCE_SECONDS', CONFIG_DEFAULTS.clusterSilenceMs),
  };
}

/** The cluster API's settings (ADR 0006); keys are checked here so a bad one stops the start. */
function clusterApiFromEnv(
  env: NodeJS.ProcessEnv,
): Pick<ControlPlaneConfig, 'bootstrapToken' | 'secretKey' | 'dataplaneKey'> {
  const bootstrapToken = nonEmpty(env['HUBPO_BOOTSTRAP_TOKEN']);
  const secretKey = nonEmpty(env['HUBPO_SECRET_KEY']);
  const dataplaneKey = nonEmpty(env['HUBPO_DATAPLANE_KEY']);
  if (secretKey !== undefined) parseKey('HUBPO_SECRET_KEY', secretKey);
  if (dataplaneKey !== undefined) parseKey('HUBPO_DATAPLANE_KEY', dataplaneKey);
  if (bootstrapToken !== undefined && secretKey === undefined) {
    throw new HubpoError(
      'BAD_REQUEST',
      'HUBPO_SECRET_KEY is required with HUBPO_BOOTSTRAP_TOKEN: it encrypts the provider credentials operators send',
    );
  }
  return {
    ...(bootstrapToken === undefined ? {} : { bootstrapToken }),
    ...(secretKey === undefined ? {} : { secretKey }),
    ...(dataplaneKey === undefined ? {} : { dataplaneKey }),
  };
}

/**
 * `HUBPO_GRPC_TLS_CERT` + `HUBPO_GRPC_TLS_KEY` (both or neither) turn on TLS for gRPC;
 * `HUBPO_GRPC_TLS_CLIENT_CA` adds mutual TLS. Each file is read and checked here, so a wrong
 * path or a key that does not match the certificate stops the start with the variable named.
 */
function grpcTlsFromEnv(env: NodeJS.ProcessEnv): Pick<ControlPlaneConfig, 'grpcTls'> {
  const pair = tlsPairFromEnv(env, 'HUBPO_GRPC_TLS_CERT', 'HUBPO_GRPC_TLS_KEY');
  const clientCaFile = nonEmpty(env['HUBPO_GRPC_TLS_CLIENT_CA']);
  if (pair === undefined) {
    if (clientCaFile !== undefined) {
      throw new HubpoError(
        'BAD_REQUEST',
        'HUBPO_GRPC_TLS_CLIENT_CA needs HUBPO_GRPC_TLS_CERT and HUBPO_GRPC_TLS_KEY: mutual TLS runs over server TLS',
      );
    }
    return {};
  }
  if (clientCaFile !== undefined) readPem('HUBPO_GRPC_TLS_CLIENT_CA', clientCaFile, 'CERTIFICATE');
  return { grpcTls: { ...pair, ...(clientCaFile === undefined ? {} : { clientCaFile }) } };
}

/**
 * `HUBPO_ADMIN_TLS_CERT` + `HUBPO_ADMIN_TLS_KEY` (both or neither) turn on HTTPS for the admin
 * listener, checked like the gRPC pair.
 */
function adminTlsFromEnv(env: NodeJS.ProcessEnv): Pick<ControlPlaneConfig, 'adminTls'> {
  const pair = tlsPairFromEnv(env, 'HUBPO_ADMIN_TLS_CERT', 'HUBPO_ADMIN_TLS_KEY');
  return pair === undefined ? {} : { adminTls: pair };
}

/**
 * A certificate and key variable pair: undefined when neither is set; otherwise both must name
 * readable PEM files and the key must match the certificate.
 */
function tlsPairFromEnv(
  env: NodeJS.ProcessEnv,
  certVar: string,
  keyVar: string,
): { readonly certFile: string; readonly keyFile: string } | undefined {
  const certFile = nonEmpty(env[certVar]);
  const keyFile = nonEmpty(env[keyVar]);
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    const [missing, present] = certFile === undefined ? [certVar, keyVar] : [keyVar, certVar];
    throw new HubpoError(
      'BAD_REQUEST',
      `${missing} is required with ${present}: set both PEM files or neither`,
    );
  }
  const cert = readPem(certVar, certFile, 'CERTIFICATE');
  const key = readPem(keyVar, keyFile, 'PRIVATE KEY');
  try {
    createSecureContext({ cert, key });
  } catch {
    throw new HubpoError(
      'BAD_REQUEST',
      `${keyVar} does not match the certificate of ${certVar} (or cannot be loaded)`,
    );
  }
  return { certFile, keyFile };
}

/** The PEM text of the file `name` points at; BAD_REQUEST naming `name` otherwise. */
function readPem(name: string, path: string, label: string): string {
  const read = readPemFile(path, label);
  if ('problem' in read) throw new HubpoError('BAD_REQUEST', `${name}: ${read.problem}`);
  return read.pem;
}

/** Splits `host:port` (IPv6 as `[::1]:port`). */
export function parseAddress(value: string): { readonly host: string; readonly port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match === null || !Number.isInteger(port) || port > 65535) {
    throw new HubpoError('BAD_REQUEST', `"${value}" is not a host:port address`);
  }
  const host = match[1] ?? '';
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function address(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = nonEmpty(env[name]) ?? fallback;
  try {
    parseAddress(value);
  } catch {
    throw new HubpoError('BAD_REQUEST', `${name} must be host:port, got "${value}"`);
  }
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 600_000) {
    throw new HubpoError('BAD_REQUEST', `${name} must be a whole number of milliseconds (0-600000)`);
  }
  return value;
}

/** `HUBPO_NATS_REPLICAS`: JetStream allows 1 to 5 replicas per stream. */
function natsReplicas(env: NodeJS.ProcessEnv): number {
  const raw = nonEmpty(env['HUBPO_NATS_REPLICAS']);
  if (raw === undefined) return CONFIG_DEFAULTS.natsReplicas;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 5) {
    throw new HubpoError(
      'BAD_REQUEST',
      `HUBPO_NATS_REPLICAS must be a whole number from 1 to 5 (JetStream stream replicas), got "${raw.slice(0, 20)}"`,
    );
  }
  return value;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallbackMs;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 86_400) {
    throw new HubpoError('BAD_REQUEST', `${name} must be a whole number of seconds (1-86400)`);
  }
  return value * 1000;
}

function clusterName(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 63) {
    throw new HubpoError('BAD_REQUEST', `HUBPO_CLUSTER must be a lowercase DNS label, got "${value}"`);
  }
  return value;
}
