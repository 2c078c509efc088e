/**
 * Three member clusters in three clouds, one control plane: each cluster has its own Kubernetes
 * API server (the testkit fake, CRDs applied over HTTP as kubectl would), its own operator
 * registering with the bootstrap token, and its own gateways. Objects are applied in one cluster
 * and placed on others; traffic and `status.distribution` must follow the placement.
 *
 * Fake-only (`*.fake-only.test.ts`): it needs three Kubernetes API servers, so it always runs
 * against three testkit fakes and ignores `KUBECONFIG`. The single-cluster journeys in
 * e2e/operator run against a real cluster when `KUBECONFIG` is set.
 */
import { conditionOf } from '../operator/support/condition-of.js';
import { eventually } from '../operator/support/eventually.js';
import type { KubeHttp } from './support/kube-http.js';
import { MultiClusterPlatform } from './support/multi-cluster-platform.js';
import type { ClusterSpec } from './support/multi-cluster-platform.js';

jest.setTimeout(60_000);

const AWS = 'aws-euw1';
const GCP = 'gcp-usc1';
const AZURE = 'azure-weu';
const CLUSTERS: readonly ClusterSpec[] = [
  { name: AWS, cloud: 'aws', region: 'eu-west-1', labels: { tier: 'edge' }, gateways: 2 },
  { name: GCP, cloud: 'gcp', region: 'us-central1', labels: { tier: 'core' }, gateways: 1 },
  { name: AZURE, cloud: 'azure', region: 'westeurope', labels: { tier: 'edge' }, gateways: 1 },
];

let platform: MultiClusterPlatform;

beforeAll(async () => {
  platform = await MultiClusterPlatform.start(CLUSTERS);
  // The AI ingress, applied once in AWS and placed everywhere (`placement: {}`).
  await kube(AWS).create('routes', {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Route',
    metadata: { name: 'ai', namespace: 'ai' },
    spec: { placement: {}, rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], ai: {} }] },
  });
  await distributed(AWS, 'routes', 'ai', 1);
}, 60_000);

afterAll(async () => {
  await platform?.stop();
});

function kube(cluster: string): KubeHttp {
  return platform.cluster(cluster).api;
}

function aiModel(name: string, placement: unknown): unknown {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'AIModel',
    metadata: { name, namespace: 'ai' },
    spec: { placement, targets: [{ provider: 'mock', model: 'mock-1' }] },
  };
}

/** The object in `cluster`'s Kubernetes once it reports `Distributed=True` for `generation`. */
function distributed(cluster: string, plural: string, name: string, generation: number): Promise<any> {
  return eventually(async () => {
    const object = await kube(cluster).get(plural, 'ai', name);
    const c = conditionOf(object, 'Distributed');
    return object?.status?.observedGeneration === generation &&
      c?.status === 'True' &&
      c?.observedGeneration === generation
      ? object
      : undefined;
  }, `${plural} ${name} in ${cluster}: Distributed=True at generation ${generation}`);
}

interface Answer {
  readonly cluster: string;
  readonly nodeId: string;
  readonly status: number;
  readonly content?: string;
  readonly code?: string;
}

/** One chat completion on `model` through every gateway of every cluster. */
async function askEveryGateway(model: string): Promise<Answer[]> {
  return Promise.all(
    platform.gatewayUrls().map(async ({ cluster, nodeId, url }) => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: `hello ${cluster}` }] }),
      });
      const body = (await res.json()) as any;
      return {
        cluster,
        nodeId,
        status: res.status,
        ...(res.status === 200 ? { content: body.choices[0].message.content } : { code: body.error?.code }),
      };
    }),
  );
}

/** What every gateway answers when `model` is served exactly in `clusters`. */
function servedIn(model: string, clusters: readonly string[]): Answer[] {
  return platform
    .gatewayUrls()
    .map(({ cluster, nodeId }) =>
      clusters.includes(cluster)
        ? { cluster, nodeId, status: 200, content: `hello ${cluster}` }
        : { cluster, nodeId, status: 404, code: 'model_not_found' },
    );
}

async function expectServedIn(model: string, clusters: readonly string[]): Promise<void> {
  const expected = servedIn(model, clusters);
  await eventually(
    async () => JSON.stringify(await askEveryGateway(model)) === JSON.stringify(expected),
    `${model} to be served in ${clusters.join(', ')} only`,
  );
  expect(await askEveryGateway(model)).toEqual(expected);
}

/** `status.distribution` as it must be: one entry per placed cluster, counting its connected gateways. */
async function expectDistribution(object: any, clusters: readonly string[]): Promise<void> {
  const gateways = (await platform.admin('/api/v1/gateways')).body.items as any[];
  const entries = [...object.status.distribution].sort((a: any, b: any) =>
    a.cluster.localeCompare(b.cluster),
  );
  expect(entries.map((e: any) => e.cluster)).toEqual([...clusters].sort());
  for (const entry of entries) {
    const connected = gateways.filter((g) => g.cluster === entry.cluster && g.connected);
    expect(connected.map((g) => g.nodeId).sort()).toEqual(
      platform.cluster(entry.cluster).gateways.map((g) => g.nodeId),
    );
    expect(entry).toEqual({
      cluster: entry.cluster,
      gateways: connected.length,
      acked: connected.length,
      revision: expect.any(Number),
      propagationMs: expect.any(Number),
    });
    for (const g of connected) expect(g.appliedRevision).toBeGreaterThanOrEqual(entry.revision);
    expect(entry.propagationMs).toBeGreaterThanOrEqual(0);
  }
  const total = entries.reduce((n: number, e: any) => n + e.gateways, 0);
  expect(conditionOf(object, 'Distributed').message).toBe(
    `${total}/${total} connected gateways serve generation ${object.metadata.generation}`,
  );
}

describe('three clusters in three clouds', () => {
  it('registers every cluster with its cloud and region labels', async () => {
    const items = (await platform.admin('/api/v1/clusters')).body.items as any[];
    for (const spec of CLUSTERS) {
      expect(items.find((c) => c.name === spec.name)).toMatchObject({
        labels: { cloud: spec.cloud, region: spec.region, ...spec.labels },
        state: 'active',
        operator: { pod: `hubpo-operator-${spec.name}` },
      });
    }
  });

  it('serves an AIModel placed on two clusters by name there, and not in the third', async () => {
    await kube(AWS).create('aimodels', aiModel('chat', { clusters: [AWS, GCP] }));
    const object = await distributed(AWS, 'aimodels', 'chat', 1);
    // Distributed=True means every gateway of the placed clusters ACKed: they serve it now.
    expect(await askEveryGateway('chat')).toEqual(servedIn('chat', [AWS, GCP]));
    await expectDistribution(object, [AWS, GCP]);
    expect(conditionOf(object, 'Programmed').message).toMatch(new RegExp(`${AWS}@\\d+, ${GCP}@\\d+`));
  });

  it('moves traffic and status when the placement moves', async () => {
    await kube(AWS).merge('aimodels', 'ai', 'chat', { spec: { placement: { clusters: [GCP, AZURE] } } });
    const object = await distributed(AWS, 'aimodels', 'chat', 2);
    await expectServedIn('chat', [GCP, AZURE]);
    await expectDistribution(object, [GCP, AZURE]);
  });

  it('places an AIModel by label selector on the clusters carrying the labels', async () => {
    // Applied in GCP, which does not match: the status still comes back to GCP's Kubernetes.
    await kube(GCP).create('aimodels', aiModel('edge-chat', { selector: { matchLabels: { tier: 'edge' } } }));
    const object = await distributed(GCP, 'aimodels', 'edge-chat', 1);
    expect(await askEveryGateway('edge-chat')).toEqual(servedIn('edge-chat', [AWS, AZURE]));
    await expectDistribution(object, [AWS, AZURE]);
  });

  it('shows a silent cluster unreachable, keeps its config, and its gateways keep serving', async () => {
    const before = (await platform.admin('/api/v1/config')).body.clusters.find((c: any) => c.cluster === AWS);
    // A partition: AWS's operator stops heartbeating and its gateways lose the control plane.
    await platform.stopOperator(AWS);
    platform.cluster(AWS).link.cut();
    const state = async (name: string) =>
      ((await platform.admin('/api/v1/clusters')).body.items as any[]).find((c) => c.name === name).state;
    await eventually(async () => (await state(AWS)) === 'unreachable', `${AWS} to be shown unreachable`);
    expect(await state(GCP)).toBe('active');
    expect(await state(AZURE)).toBe('active');

    const after = (await platform.admin('/api/v1/config')).body.clusters.find((c: any) => c.cluster === AWS);
    expect(after).toMatchObject({ revision: before.revision, hash: before.hash });
    // Objects applied in AWS stay in the control plane and keep serving in the other clusters.
    expect((await platform.admin('/api/v1/namespaces/ai/aimodels/chat')).status).toBe(200);
    expect((await platform.admin('/api/v1/namespaces/ai/routes/ai')).status).toBe(200);
    expect(await askEveryGateway('chat')).toEqual(servedIn('chat', [GCP, AZURE]));
    expect(await askEveryGateway('edge-chat')).toEqual(servedIn('edge-chat', [AWS, AZURE]));

    // The partition heals: the cluster is active again and changes reach it.
    platform.cluster(AWS).link.restore();
    await platform.startOperator(AWS);
    await eventually(async () => (await state(AWS)) === 'active', `${AWS} to be active again`);
    await kube(AWS).merge('aimodels', 'ai', 'chat', { spec: { placement: { clusters: [AWS] } } });
    await distributed(AWS, 'aimodels', 'chat', 3);
    await expectServedIn('chat', [AWS]);
  });
});
