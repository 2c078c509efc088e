import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createControlPlane, defaultConfig } from '@hubpo/control-plane';
import type { ControlPlane } from '@hubpo/control-plane';
import { createOperator, createLogger, defaultOperatorConfig } from '@hubpo/operator';
import type { Operator, OperatorConfig } from '@hubpo/operator';
import { getFreePort, startFakeKube, startPostgres } from '@hubpo/testkit';
import type { FakeKube, PostgresProcess } from '@hubpo/testkit';

export const CLUSTER = 'east';
const CRD_DIR = join(__dirname, '..', '..', '..', 'crds');

/**
 * The operator journey's platform, all in this process: Postgres, the control plane with its
 * cluster API enabled (bootstrap token, secret key, data-plane key), the fake Kubernetes API
 * server with the real CRDs, and operator replicas of cluster `east`. The control plane can be
 * stopped and started again on the same ports and database, to play an outage.
 */
export class OperatorPlatform {
  readonly adminToken = randomBytes(16).toString('hex');
  readonly bootstrapToken = randomBytes(16).toString('hex');
  readonly secretKey = randomBytes(32);
  readonly dataplaneKey = randomBytes(32);
  readonly #tmp = mkdtempSync(join(tmpdir(), 'hubpo-e2e-operator-'));
  readonly operators: Operator[] = [];
  #postgres: PostgresProcess | undefined;
  #databaseUrl = '';
  #adminPort = 0;
  #grpcPort = 0;
  controlPlane: ControlPlane | undefined;
  kube!: FakeKube;
  kubeApi!: KubeHttp;

  static async start(): Promise<OperatorPlatform> {
    const p = new OperatorPlatform();
    p.#postgres = await startPostgres();
    p.#databaseUrl = await p.#postgres.createDatabase();
    p.#adminPort = await getFreePort();
    p.#grpcPort = await getFreePort();
    await p.startControlPlane();
    p.kube = await startFakeKube({ bookmarkIntervalMs: 200, namespaces: ['shop', 'hubpo'] });
    p.kubeApi = new KubeHttp(p.kube.url);
    await installCrds(p.kubeApi);
    return p;
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.#adminPort}`;
  }

  get grpcAddress(): string {
    return `127.0.0.1:${this.#grpcPort}`;
  }

  async startControlPlane(): Promise<void> {
    this.controlPlane = await createControlPlane(
      defaultConfig({
        adminToken: this.adminToken,
        databaseUrl: this.#databaseUrl,
        dataDir: join(this.#tmp, 'cp'),
        adminAddr: `127.0.0.1:${this.#adminPort}`,
        grpcAddr: `127.0.0.1:${this.#grpcPort}`,
        debounceMs: 20,
        maxWaitMs: 500,
        resyncMs: 500,
        logLevel: 'silent',
        bootstrapToken: this.bootstrapToken,
        secretKey: this.secretKey.toString('base64'),
        dataplaneKey: this.dataplaneKey.toString('base64'),
      }),
    );
  }

  async stopControlPlane(): Promise<void> {
    await this.controlPlane?.stop();
    this.controlPlane = undefined;
  }

  async startOperator(overrides: Partial<OperatorConfig> = {}): Promise<Operator> {
    const level = process.env['HUBPO_TEST_LOG'] ?? 'silent';
    const operator = await createOperator(
      defaultOperatorConfig({
        controlPlaneUrl: this.adminUrl,
        bootstrapToken: this.bootstrapToken,
        cluster: CLUSTER,
        cloud: 'aws',
        region: 'us-east-1',
        clusterLabels: { env: 'prod' },
        kubeconfig: { yaml: this.kube.kubeconfig() },
        leaseNamespace: 'hubpo',
        identity: `hubpo-operator-${this.operators.length}`,
        healthAddr: '127.0.0.1:0',
        leaseDurationMs: 2000,
        renewDeadlineMs: 1500,
        retryPeriodMs: 200,
        heartbeatMs: 500,
        statusWaitSeconds: 5,
        watchdogMs: 5000,
        backoffInitialMs: 50,
        backoffMaxMs: 500,
        resyncMs: 0,
        logLevel: level,
        ...overrides,
      }),
      { logger: createLogger(level) },
    );
    this.operators.push(operator);
    return operator;
  }

  /** The admin API with the admin token. */
  async admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.adminUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  dataDir(name: string): string {
    return join(this.#tmp, name);
  }

  async stop(): Promise<void> {
    for (const o of this.operators) await o.stop().catch(() => undefined);
    await this.stopControlPlane().catch(() => undefined);
    await this.kube?.stop();
    await this.#postgres?.stop();
    rmSync(this.#tmp, { recursive: true, force: true });
  }
}

/** The fake API server over plain HTTP, as kubectl would talk to it (no client library needed). */
export class KubeHttp {
  constructor(readonly url: string) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<any> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const parsed = text === '' ? undefined : JSON.parse(text);
    if (res.status === 404 && method === 'GET') return undefined;
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return parsed;
  }

  path(plural: string, namespace: string, name?: string): string {
    const base = plural === 'secrets' ? '/api/v1' : '/apis/hubpo.io/v1alpha1';
    return `${base}/namespaces/${namespace}/${plural}${name === undefined ? '' : `/${name}`}`;
  }

  create(plural: string, object: any): Promise<any> {
    return this.request('POST', this.path(plural, object.metadata.namespace), object);
  }

  get(plural: string, namespace: string, name: string): Promise<any> {
    return this.request('GET', this.path(plural, namespace, name));
  }

  merge(plural: string, namespace: string, name: string, patch: unknown): Promise<any> {
    return this.request('PATCH', this.path(plural, namespace, name), patch, 'application/merge-patch+json');
  }

  delete(plural: string, namespace: string, name: string): Promise<any> {
    return this.request('DELETE', this.path(plural, namespace, name));
  }
}

/** Applies the repo's CRDs (`crds/*.yaml`) through the API server, as `kubectl apply -f crds/` would. */
export async function installCrds(api: KubeHttp): Promise<void> {
  for (const file of readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml'))) {
    await api.request(
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      parse(readFileSync(join(CRD_DIR, file), 'utf8')),
    );
  }
}

/** Polls until `probe` returns something other than undefined/false. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function conditionOf(object: any, type: string): any {
  return object?.status?.conditions?.find((c: { type: string }) => c.type === type);
}
