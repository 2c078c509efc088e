/*
 * Scenario (e): an object written to the Kubernetes API -> `Distributed=True` for its new
 * generation, over 100 changes, with the real control plane (in this process, production
 * defaults), one operator per cluster and two gateways per cluster (child processes configured by
 * their environment), and the testkit fake Kubernetes API server per cluster.
 *
 * Each change is a JSON merge patch of a Route (a response header value) in cluster A; the Route
 * is placed on clusters A and B, so four gateways are targeted. Timed from the moment the API
 * write returned: (1) until a watch on A's API server shows `Distributed=True` with the new
 * `observedGeneration`; (2) until every targeted gateway serves the new header value.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { createControlPlane, defaultConfig } from '@hubpo/control-plane';
import { getFreePort, startEchoServer, startFakeKube, startPostgres } from '@hubpo/testkit';
import type { FakeKube } from '@hubpo/testkit';
import { DistributedWatch } from './distributed-watch.js';
import { startProgram, waitForHttp } from './program-process.js';

export interface KubeBenchmarkOptions {
  /** Repository root (children run `packages/<program>/src/main.ts`). */
  readonly root: string;
  readonly changes?: number;
  readonly gatewaysPerCluster?: number;
  readonly log?: (line: string) => void;
  /** Also time the write reaching the control plane (polls its admin API: adds load). */
  readonly breakdown?: boolean;
}

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface KubeBenchmarkResult {
  readonly samples: number;
  readonly gateways: number;
  /** API write returned -> `Distributed=True` at the new generation, in ms. */
  readonly distributed: Percentiles;
  /** API write returned -> every targeted gateway serves the new value, in ms. */
  readonly served: Percentiles;
}

const CLUSTERS = [
  { name: 'aws-euw1', cloud: 'aws', region: 'eu-west-1' },
  { name: 'gcp-usc1', cloud: 'gcp', region: 'us-central1' },
] as const;
const NAMESPACE = 'bench';
const ROUTE = 'propagation';
const HEADER = 'x-config-version';
const TARGET_P99_MS = 1000;

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

function route(version: number, backend: string): Record<string, unknown> {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Route',
    metadata: { name: ROUTE, namespace: NAMESPACE },
    spec: {
      placement: { clusters: CLUSTERS.map((c) => c.name) },
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/bench' } }],
          backends: [{ url: backend }],
          filters: { responseHeaders: { set: [{ name: HEADER, value: String(version) }] } },
        },
      ],
    },
  };
}

/** What the API server answers to a write (the parts the bench reads). */
interface WrittenObject {
  readonly metadata: { readonly generation: number; readonly resourceVersion: string };
}

async function kubeRequest(
  kube: FakeKube,
  method: string,
  path: string,
  body: unknown,
  contentType = 'application/json',
): Promise<WrittenObject> {
  const res = await fetch(`${kube.url}${path}`, {
    method,
    headers: { 'content-type': contentType },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as WrittenObject;
}

/** Polls every gateway until each answers with `version`; `performance.now()` of the last one. */
async function servedEverywhere(gateways: readonly string[], version: number): Promise<number> {
  const want = String(version);
  const deadline = performance.now() + 30_000;
  const times = await Promise.all(
    gateways.map(async (url) => {
      while (performance.now() < deadline) {
        const res = await fetch(`${url}/bench/item`);
        await res.arrayBuffer();
        if (res.headers.get(HEADER) === want) return performance.now();
        await new Promise((r) => setTimeout(r, 2));
      }
      throw new Error(`${url} never served version ${version}`);
    }),
  );
  return Math.max(...times);
}

/** Polls the admin API until the control plane stores `generation`; `performance.now()` then. */
async function storedInControlPlane(adminUrl: string, token: string, generation: number): Promise<number> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const res = await fetch(`${adminUrl}/api/v1/namespaces/${NAMESPACE}/routes/${ROUTE}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { metadata?: { generation?: number } };
    if (body.metadata?.generation === generation) return performance.now();
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`the control plane never stored generation ${generation}`);
}

export async function runKubeBenchmark(options: KubeBenchmarkOptions): Promise<KubeBenchmarkResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const changes = options.changes ?? 100;
  const perCluster = options.gatewaysPerCluster ?? 2;
  const breakdown = options.breakdown ?? false;
  const tmp = mkdtempSync(join(tmpdir(), 'hubpo-bench-k8s-'));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const pg = await startPostgres();
    cleanups.push(() => pg.stop());
    const bootstrapToken = randomBytes(16).toString('hex');
    const adminToken = randomBytes(16).toString('hex');
    const cp = await createControlPlane(
      defaultConfig({
        adminToken,
        databaseUrl: await pg.createDatabase(),
        dataDir: join(tmp, 'cp'),
        adminAddr: '127.0.0.1:0',
        grpcAddr: '127.0.0.1:0',
        logLevel: 'warn',
        bootstrapToken,
        secretKey: randomBytes(32).toString('base64'),
        ...(process.env['BENCH_K8S_DEBOUNCE_MS'] === undefined
          ? {}
          : { debounceMs: Number(process.env['BENCH_K8S_DEBOUNCE_MS']) }),
      }),
    );
    cleanups.push(() => cp.stop());
    const echo = await startEchoServer({ name: 'bench-upstream' });
    cleanups.push(() => echo.stop());

    // Clusters start side by side; each runs its operator, then its gateways (in parallel).
    const started = await Promise.all(
      CLUSTERS.map(async (cluster) => {
        const kube = await startFakeKube({ namespaces: ['hubpo', NAMESPACE] });
        cleanups.push(() => kube.stop());
        for (const file of readdirSync(join(options.root, 'crds')).filter((f) => f.endsWith('.yaml'))) {
          const crd: unknown = parse(readFileSync(join(options.root, 'crds', file), 'utf8'));
          await kubeRequest(kube, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
        }
        const healthPort = await getFreePort();
        const operator = startProgram(options.root, 'operator', {
          HUBPO_CONTROL_PLANE_URL: cp.adminUrl,
          HUBPO_BOOTSTRAP_TOKEN: bootstrapToken,
          HUBPO_CLUSTER: cluster.name,
          HUBPO_CLOUD: cluster.cloud,
          HUBPO_REGION: cluster.region,
          HUBPO_LEADER_ELECTION_NAMESPACE: 'hubpo',
          POD_NAME: `hubpo-operator-${cluster.name}`,
          HUBPO_HEALTH_ADDR: `127.0.0.1:${healthPort}`,
          KUBECONFIG: kube.kubeconfigPath,
          HUBPO_LOG_LEVEL: 'warn',
        });
        cleanups.push(() => operator.stop());
        await waitForHttp(`http://127.0.0.1:${healthPort}/readyz`, 60_000);
        const urls = await Promise.all(
          Array.from({ length: perCluster }, async (_, i) => {
            const [port, adminPort] = [await getFreePort(), await getFreePort()];
            const nodeId = `${cluster.name}-gw-${i}`;
            const gateway = startProgram(options.root, 'gateway', {
              HUBPO_NODE_ID: nodeId,
              HUBPO_CLUSTER: cluster.name,
              HUBPO_CLOUD: cluster.cloud,
              HUBPO_REGION: cluster.region,
              HUBPO_LISTEN_ADDR: `127.0.0.1:${port}`,
              HUBPO_ADMIN_ADDR: `127.0.0.1:${adminPort}`,
              HUBPO_CONFIG_DRIVER: 'grpc',
              HUBPO_CONTROL_PLANE_GRPC: cp.grpcAddress,
              HUBPO_DATA_DIR: join(tmp, nodeId),
              // warn would print that NATS_URL (AI usage records) is not set
              HUBPO_LOG_LEVEL: 'error',
            });
            cleanups.push(() => gateway.stop());
            await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, 60_000);
            return `http://127.0.0.1:${port}`;
          }),
        );
        return { kube, urls };
      }),
    );
    const gateways = started.flatMap((c) => c.urls);

    const home = started[0]!.kube;
    const collection = `/apis/hubpo.io/v1alpha1/namespaces/${NAMESPACE}/routes`;
    const created = await kubeRequest(home, 'POST', collection, route(0, echo.url));
    const watch = new DistributedWatch(`${home.url}${collection}`, ROUTE, created.metadata.resourceVersion);
    watch.start();
    cleanups.push(() => watch.stop());
    await watch.distributedAt(created.metadata.generation, 60_000);
    await servedEverywhere(gateways, 0);

    const toDistributed: number[] = [];
    const toServed: number[] = [];
    const toStored: number[] = [];
    const warmup = 5;
    for (let i = 1; i <= changes + warmup; i++) {
      const written = await kubeRequest(
        home,
        'PATCH',
        `${collection}/${ROUTE}`,
        { spec: (route(i, echo.url) as { spec: unknown }).spec },
        'application/merge-patch+json',
      );
      const start = performance.now();
      const [distributedAt, servedAt, storedAt] = await Promise.all([
        watch.distributedAt(written.metadata.generation),
        servedEverywhere(gateways, i),
        breakdown ? storedInControlPlane(cp.adminUrl, adminToken, written.metadata.generation) : 0,
      ]);
      if (i <= warmup) continue;
      if (breakdown) toStored.push(storedAt - start);
      toDistributed.push(distributedAt - start);
      toServed.push(servedAt - start);
    }
    const result: KubeBenchmarkResult = {
      samples: toDistributed.length,
      gateways: gateways.length,
      distributed: percentiles(toDistributed),
      served: percentiles(toServed),
    };
    printKubeBenchmark(result, log);
    if (breakdown)
      log(`    Kubernetes write -> stored by the control plane: ${format(percentiles(toStored))}`);
    return result;
  } finally {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error(e));
    rmSync(tmp, { recursive: true, force: true });
  }
}

function format(p: Percentiles): string {
  return `p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, max ${p.max.toFixed(1)} ms`;
}

export function printKubeBenchmark(r: KubeBenchmarkResult, log: (line: string) => void): void {
  const verdict = r.distributed.p99 < TARGET_P99_MS ? 'PASS' : 'MISS';
  log(
    `\n(e) Kubernetes write -> Distributed=True on ${r.gateways} gateways in ${CLUSTERS.length} clusters, ${r.samples} changes: ${format(r.distributed)}; target p99 < ${TARGET_P99_MS} ms: ${verdict}`,
  );
  log(`    Kubernetes write -> new value served by every targeted gateway: ${format(r.served)}`);
}
