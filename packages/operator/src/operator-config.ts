import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { HubpoError } from '@hubpo/core';
import { readControlPlaneCa } from './control-plane/control-plane-client.js';
import type { KubeconfigSource } from './kube/client-node-kube-client.js';

/** Everything the operator needs; `configFromEnv` builds it from the environment (README). */
export interface OperatorConfig {
  /** Base URL of the control plane's API (`https://hubpo-cp.example.com`). */
  readonly controlPlaneUrl: string;
  /**
   * PEM CA bundle that an https control plane's certificate must chain to
   * (`HUBPO_CONTROL_PLANE_CA`); the system CAs when absent.
   */
  readonly controlPlaneCaFile?: string;
  readonly bootstrapToken: string;
  /** This cluster's name (a DNS label), as placements and gateways name it. */
  readonly cluster: string;
  readonly cloud?: string;
  readonly region?: string;
  /** More cluster labels for placement selectors (`env`, ...). */
  readonly clusterLabels: Readonly<Record<string, string>>;
  /** Namespaces to reconcile; undefined: every namespace. */
  readonly watchNamespaces?: readonly string[];
  readonly leaseNamespace: string;
  readonly leaseName: string;
  /** This replica's identity in the Lease (the pod name). */
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** `host:port` of `/healthz` and `/readyz` (port 0: any free port). */
  readonly healthAddr: string;
  readonly heartbeatMs: number;
  /** Long-poll wait of the status loop, in seconds (at most 30). */
  readonly statusWaitSeconds: number;
  /** A watch silent (no event, no bookmark) for this long is restarted. */
  readonly watchdogMs: number;
  readonly watchTimeoutSeconds: number;
  /** Every object is reconciled again this often (level-based safety net; 0: never). */
  readonly resyncMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** Objects reconciled at once, and the overall reconcile rate (token bucket). */
  readonly concurrency: number;
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly logLevel: string;
  readonly kubeconfig: KubeconfigSource;
}

export const OPERATOR_DEFAULTS = Object.freeze({
  leaseName: 'hubpo-operator',
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  healthAddr: '0.0.0.0:9092',
  heartbeatMs: 10_000,
  statusWaitSeconds: 30,
  // Kubernetes sends watch bookmarks about every minute; two missed in a row means a dead watch.
  watchdogMs: 150_000,
  watchTimeoutSeconds: 300,
  resyncMs: 10 * 60_000,
  backoffInitialMs: 250,
  backoffMaxMs: 60_000,
  concurrency: 4,
  ratePerSecond: 20,
  burst: 100,
  logLevel: 'info',
});

/** A config with every default filled in; tests override what they need. */
export function defaultOperatorConfig(
  required: Pick<OperatorConfig, 'controlPlaneUrl' | 'bootstrapToken' | 'cluster' | 'kubeconfig'> &
    Partial<OperatorConfig>,
): OperatorConfig {
  return {
    ...OPERATOR_DEFAULTS,
    clusterLabels: {},
    leaseNamespace: 'default',
    identity: `${hostname()}-${process.pid}`,
    ...required,
  };
}

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * Reads the operator's environment (README "Configuration"). Throws a BAD_REQUEST HubpoError
 * naming the variable when one is missing or malformed; never echoes the bootstrap token.
 */
export function configFromEnv(
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string = readText,
): OperatorConfig {
  const controlPlaneUrl = required(env, 'HUBPO_CONTROL_PLANE_URL');
  if (!/^https?:\/\/[^/]+/.test(controlPlaneUrl)) {
    throw new HubpoError('BAD_REQUEST', 'HUBPO_CONTROL_PLANE_URL must be an http(s) URL');
  }
  const controlPlaneCaFile = controlPlaneCa(env, controlPlaneUrl, readFile);
  const cluster = required(env, 'HUBPO_CLUSTER');
  if (!DNS_LABEL.test(cluster) || cluster.length > 63) {
    throw new HubpoError('BAD_REQUEST', `HUBPO_CLUSTER must be a lowercase DNS label, got "${cluster}"`);
  }
  const cloud = labelValue(env, 'HUBPO_CLOUD');
  const region = labelValue(env, 'HUBPO_REGION');
  const watch = list(env['HUBPO_WATCH_NAMESPACES']);
  const logLevel = nonEmpty(env['HUBPO_LOG_LEVEL']) ?? OPERATOR_DEFAULTS.logLevel;
  if (!LOG_LEVELS.has(logLevel)) {
    throw new HubpoError('BAD_REQUEST', `HUBPO_LOG_LEVEL must be one of ${[...LOG_LEVELS].join(', ')}`);
  }
  return defaultOperatorConfig({
    controlPlaneUrl,
    ...(controlPlaneCaFile === undefined ? {} : { controlPlaneCaFile }),
    bootstrapToken: required(env, 'HUBPO_BOOTSTRAP_TOKEN'),
    cluster,
    ...(cloud === undefined ? {} : { cloud }),
    ...(region === undefined ? {} : { region }),
    clusterLabels: labels(env['HUBPO_CLUSTER_LABELS']),
    ...(watch.length === 0 ? {} : { watchNamespaces: watch }),
    leaseNamespace:
      nonEmpty(env['HUBPO_LEADER_ELECTION_NAMESPACE']) ??
      nonEmpty(safeRead(readFile, SERVICE_ACCOUNT_NAMESPACE)) ??
      'default',
    identity: nonEmpty(env['POD_NAME']) ?? `${hostname()}-${process.pid}`,
    // The chart names this HUBPO_ADMIN_ADDR; HUBPO_HEALTH_ADDR wins when both are set.
    healthAddr: address(
      env,
      nonEmpty(env['HUBPO_HEALTH_ADDR']) === undefined ? 'HUBPO_ADMIN_ADDR' : 'HUBPO_HEALTH_ADDR',
    ),
    logLevel,
    // client-node reads KUBECONFIG itself (paths joined by ':'); unset: ~/.kube/config, then in-cluster.
    kubeconfig: 'default',
  });
}

/**
 * `HUBPO_CONTROL_PLANE_CA`: checked here (readable, holds a PEM certificate) so a wrong mount stops
 * the start with the variable named. Only meaningful for an https URL: with http it is an error,
 * since a CA that is never used hides a control plane reached in plaintext.
 */
function controlPlaneCa(
  env: NodeJS.ProcessEnv,
  url: string,
  readFile: (path: string) => string,
): string | undefined {
  const path = nonEmpty(env['HUBPO_CONTROL_PLANE_CA']);
  if (path === undefined) return undefined;
  if (!/^https:/i.test(url)) {
    throw new HubpoError(
      'BAD_REQUEST',
      'HUBPO_CONTROL_PLANE_CA needs an https HUBPO_CONTROL_PLANE_URL (the CA verifies the control plane TLS certificate)',
    );
  }
  readControlPlaneCa(path, readFile);
  return path;
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

function safeRead(readFile: (path: string) => string, path: string): string | undefined {
  try {
    return readFile(path);
  } catch {
    return undefined;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = nonEmpty(env[name]);
  if (value === undefined) throw new HubpoError('BAD_REQUEST', `${name} is required`);
  return value;
}

function labelValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = nonEmpty(env[name]);
  if (value !== undefined && !LABEL_VALUE.test(value)) {
    throw new HubpoError(
      'BAD_REQUEST',
      `${name} must be a label value (letters, digits, "-", "_", "."; at most 63)`,
    );
  }
  return value;
}

function list(value: string | undefined): string[] {
  const items = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const ns of items) {
    if (!DNS_LABEL.test(ns))
      throw new HubpoError('BAD_REQUEST', `HUBPO_WATCH_NAMESPACES: "${ns}" is not a namespace name`);
  }
  return [...new Set(items)];
}

/** `k=v,k=v` (spaces around items allowed). */
function labels(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq).trim();
    const val = eq === -1 ? undefined : item.slice(eq + 1).trim();
    if (val === undefined || !LABEL_KEY.test(key) || !LABEL_VALUE.test(val)) {
      throw new HubpoError(
        'BAD_REQUEST',
        `HUBPO_CLUSTER_LABELS must be k=v pairs separated by commas; "${item}" is not`,
      );
    }
    out[key] = val;
  }
  return out;
}

function address(env: NodeJS.ProcessEnv, name: string): string {
  const value = nonEmpty(env[name]) ?? OPERATOR_DEFAULTS.healthAddr;
  if (!/^(\[[^\]]+\]|[^:]+):\d{1,5}$/.test(value)) {
    throw new HubpoError('BAD_REQUEST', `${name} must be host:port, got "${value}"`);
  }
  return value;
}
