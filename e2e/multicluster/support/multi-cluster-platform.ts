import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlPlane, defaultConfig } from '@hubpo/control-plane';
import type { ControlPlane } from '@hubpo/control-plane';
import { createGateway } from '@hubpo/gateway';
import type { Gateway } from '@hubpo/gateway';
import { createLogger, createOperator, defaultOperatorConfig } from '@hubpo/operator';
import type { Operator } from '@hubpo/operator';
import { startFakeKube, startPostgres } from '@hubpo/testkit';
import type { FakeKube, PostgresProcess } from '@hubpo/testkit';
import { eventually } from '../../operator/support/eventually.js';
import { KubeHttp, installCrds } from './kube-http.js';
import { TcpLink } from './tcp-link.js';

/** A member cluster as the platform team declares it (the operator's HUBPO_* identity). */
export interface ClusterSpec {
  readonly name: string;
  readonly cloud: string;
  readonly region: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly gateways: number;
}

export interface MemberGateway {
  readonly nodeId: string;
  readonly gateway: Gateway;
}

/**
 * One member cluster: its own Kubernetes API server (the fake, CRDs applied through HTTP), its
 * operator, and its gateways. Gateways reach the control plane's gRPC server through `link`, so
 * a test can cut the cluster off the network.
 */
export interface MemberCluster {
  readonly spec: ClusterSpec;
  readonly kube: FakeKube;
  readonly api: KubeHttp;
  readonly link: TcpLink;
  readonly gateways: MemberGateway[];
  operator: Operator | undefined;
}

/** Shown `unreachable` after this much silence (the production default is 60 s). */
export const CLUSTER_SILENCE_MS = 2500;

/**
 * Everything in this process, on loopback: real Postgres, one control plane with the cluster API
 * enabled, and per member cluster a fake Kubernetes API server, an operator registering with the
 * bootstrap token (as in production) and gateways on the gRPC driver.
 */
export class MultiClusterPlatform {
  readonly adminToken = randomBytes(16).toString('hex');
  readonly bootstrapToken = randomBytes(16).toString('hex');
  readonly clusters = new Map<string, MemberCluster>();
  readonly #tmp = mkdtempSync(join(tmpdir(), 'hubpo-e2e-multicluster-'));
  #postgres: PostgresProcess | undefined;
  controlPlane!: ControlPlane;

  static async start(specs: readonly ClusterSpec[]): Promise<MultiClusterPlatform> {
    const p = new MultiClusterPlatform();
    try {
      p.#postgres = await startPostgres();
      p.controlPlane = await createControlPlane(
        defaultConfig({
          adminToken: p.adminToken,
          databaseUrl: await p.#postgres.createDatabase(),
          dataDir: join(p.#tmp, 'cp'),
          adminAddr: '127.0.0.1:0',
          grpcAddr: '127.0.0.1:0',
          debounceMs: 20,
          maxWaitMs: 500,
          resyncMs: 500,
          logLevel: 'silent',
          bootstrapToken: p.bootstrapToken,
          secretKey: randomBytes(32).toString('base64'),
          dataplaneKey: randomBytes(32).toString('base64'),
          clusterSilenceMs: CLUSTER_SILENCE_MS,
        }),
      );
      await Promise.all(specs.map((spec) => p.#startCluster(spec)));
      for (const member of p.clusters.values()) {
        await eventually(
          async () => member.operator?.isLeader() === true && member.operator.isReady(),
          `the operator of ${member.spec.name} to lead and be ready`,
        );
      }
    } catch (err) {
      await p.stop();
      throw err;
    }
    return p;
  }

  cluster(name: string): MemberCluster {
    const member = this.clusters.get(name);
    if (member === undefined) throw new Error(`no cluster ${name}`);
    return member;
  }

  async startOperator(name: string): Promise<Operator> {
    const member = this.cluster(name);
    const level = process.env['HUBPO_TEST_LOG'] ?? 'silent';
    const operator = await createOperator(
      defaultOperatorConfig({
        controlPlaneUrl: this.controlPlane.adminUrl,
        bootstrapToken: this.bootstrapToken,
        cluster: name,
        cloud: member.spec.cloud,
        region: member.spec.region,
        clusterLabels: member.spec.labels,
        kubeconfig: { yaml: member.kube.kubeconfig() },
        leaseNamespace: 'hubpo',
        identity: `hubpo-operator-${name}`,
        healthAddr: '127.0.0.1:0',
        leaseDurationMs: 2000,
        renewDeadlineMs: 1500,
        retryPeriodMs: 200,
        heartbeatMs: 300,
        statusWaitSeconds: 5,
        watchdogMs: 5000,
        backoffInitialMs: 50,
        backoffMaxMs: 500,
        resyncMs: 0,
        logLevel: level,
      }),
      { logger: createLogger(level) },
    );
    member.operator = operator;
    return operator;
  }

  async stopOperator(name: string): Promise<void> {
    const member = this.cluster(name);
    await member.operator?.stop();
    member.operator = undefined;
  }

  /** Every gateway of every cluster: `[cluster, nodeId, url]`. */
  gatewayUrls(): { cluster: string; nodeId: string; url: string }[] {
    return [...this.clusters.values()].flatMap((m) =>
      m.gateways.map((g) => ({ cluster: m.spec.name, nodeId: g.nodeId, url: g.gateway.url })),
    );
  }

  /** The admin API with the admin token. */
  async admin(path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.controlPlane.adminUrl}${path}`, {
      headers: { authorization: `Bearer ${this.adminToken}` },
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  async stop(): Promise<void> {
    for (const member of this.clusters.values()) {
      for (const g of member.gateways) await g.gateway.stop().catch(() => undefined);
      await member.operator?.stop().catch(() => undefined);
      await member.link.close();
      await member.kube.stop();
    }
    await this.controlPlane?.stop().catch(() => undefined);
    await this.#postgres?.stop();
    rmSync(this.#tmp, { recursive: true, force: true });
  }

  async #startCluster(spec: ClusterSpec): Promise<void> {
    const kube = await startFakeKube({ bookmarkIntervalMs: 200, namespaces: ['ai', 'hubpo'] });
    const api = new KubeHttp(kube.url);
    const grpcPort = Number(this.controlPlane.grpcAddress.split(':').at(-1));
    const member: MemberCluster = {
      spec,
      kube,
      api,
      link: await TcpLink.open(grpcPort),
      gateways: [],
      operator: undefined,
    };
    this.clusters.set(spec.name, member);
    await installCrds(api);
    await this.startOperator(spec.name);
    for (let i = 0; i < spec.gateways; i++) {
      const nodeId = `${spec.name}-gw-${i}`;
      const gateway = await createGateway({
        nodeId,
        cluster: spec.name,
        cloud: spec.cloud,
        region: spec.region,
        listen: { host: '127.0.0.1', port: 0 },
        admin: { host: '127.0.0.1', port: 0 },
        driver: { kind: 'grpc', target: member.link.address },
        dataDir: join(this.#tmp, nodeId),
        logLevel: 'silent',
        timeouts: { reconnectInitialMs: 50, reconnectMaxMs: 300, heartbeatIntervalMs: 300 },
      });
      member.gateways.push({ nodeId, gateway });
    }
  }
}
