import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlPlane, defaultConfig } from '@hubpo/control-plane';
import type { ControlPlane } from '@hubpo/control-plane';
import { createOperator, createLogger, defaultOperatorConfig } from '@hubpo/operator';
import type { Operator, OperatorConfig } from '@hubpo/operator';
import { getFreePort, startPostgres } from '@hubpo/testkit';
import type { PostgresProcess } from '@hubpo/testkit';
import { kubeTarget } from '../../../packages/operator/test/support/kube-target.js';
import type { KubeTarget } from '../../../packages/operator/test/support/kube-target.js';
import { KubeObjects } from './kube-objects.js';

export const CLUSTER = 'east';

/**
 * The operator journey's platform: Postgres, the control plane with its cluster API enabled
 * (bootstrap token, secret key, data-plane key) and operator replicas of cluster `east`, all in
 * this process, against the Kubernetes the operator tests select (`kubeTarget()`): the testkit
 * fake, or the cluster `KUBECONFIG` names (CRDs from crds/ applied and Established, a fresh
 * `hubpo-test-<random>` namespace, finalizers and namespaces removed on `stop()`). The control
 * plane can be stopped and started again on the same ports and database, to play an outage.
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
  #target: KubeTarget | undefined;
  controlPlane: ControlPlane | undefined;
  kubeApi!: KubeObjects;

  static async start(): Promise<OperatorPlatform> {
    const p = new OperatorPlatform();
    try {
      p.#postgres = await startPostgres();
      p.#databaseUrl = await p.#postgres.createDatabase();
      p.#adminPort = await getFreePort();
      p.#grpcPort = await getFreePort();
      await p.startControlPlane();
      p.#target = await kubeTarget();
      p.kubeApi = new KubeObjects(p.#target.api);
    } catch (err) {
      await p.stop();
      throw err;
    }
    return p;
  }

  /** The journeys' namespace (unique per run); the operator watches it and keeps its Lease there. */
  get namespace(): string {
    return this.#kube().namespace;
  }

  /** True against a real cluster (`KUBECONFIG`), false against the fake. */
  get realCluster(): boolean {
    return this.#kube().fake === undefined;
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
        kubeconfig: { yaml: this.#kube().kubeconfig },
        leaseNamespace: this.namespace,
        watchNamespaces: [this.namespace],
        identity: `hubpo-operator-${this.operators.length}`,
        healthAddr: '127.0.0.1:0',
        leaseDurationMs: 2000,
        renewDeadlineMs: 1500,
        retryPeriodMs: 200,
        heartbeatMs: 500,
        statusWaitSeconds: 5,
        // A real API server sends bookmarks about once a minute (the fake every 200 ms).
        watchdogMs: this.realCluster ? 90_000 : 5000,
        watchTimeoutSeconds: 60,
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

  /** Stops the operators first (no finalizer comes back), then cleans up Kubernetes, the rest after. */
  async stop(): Promise<void> {
    for (const o of this.operators) await o.stop().catch(() => undefined);
    try {
      await this.#target?.cleanup();
    } finally {
      await this.stopControlPlane().catch(() => undefined);
      await this.#postgres?.stop();
      rmSync(this.#tmp, { recursive: true, force: true });
    }
  }

  #kube(): KubeTarget {
    if (this.#target === undefined) throw new Error('the platform has not started');
    return this.#target;
  }
}
