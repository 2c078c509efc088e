/**
 * Journeys from `kubectl apply` to the control plane and back: the operator (cluster `east`)
 * against the real control plane (Postgres, cluster API), Kubernetes, and a gateway of the
 * cluster. Kubernetes is the testkit fake, or the real cluster `KUBECONFIG` names (the operator
 * tests' `kubeTarget()` choice; docs/design/operator.md): same file, same assertions, in a fresh
 * namespace per run that is removed afterwards.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { join } from 'node:path';
import { createGateway } from '@hubpo/gateway';
import type { Gateway } from '@hubpo/gateway';
import { decodeSnapshotFile, readSnapshotFile, resourceKey } from '@hubpo/snapshot';
import { startEchoServer } from '@hubpo/testkit';
import type { EchoServer } from '@hubpo/testkit';
import { conditionOf } from './support/condition-of.js';
import { eventually } from './support/eventually.js';
import { CLUSTER, OperatorPlatform } from './support/operator-platform.js';

jest.setTimeout(120_000);

let platform: OperatorPlatform;

beforeAll(async () => {
  platform = await OperatorPlatform.start();
  const operator = await platform.startOperator();
  await eventually(
    async () => operator.isLeader() && operator.isReady(),
    'the operator to lead and be ready',
  );
});

afterAll(async () => {
  await platform?.stop();
});

const api = () => platform.kubeApi;
/** The journeys' namespace: `hubpo-test-<random>`, fresh per run. */
const ns = () => platform.namespace;
const factories: Record<string, (name: string) => any> = {
  routes: (name) => ({
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Route',
    metadata: { name, namespace: ns() },
    spec: {
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: `/${name}` } }],
          backends: [{ url: 'http://orders.internal:8080' }],
        },
      ],
    },
  }),
  aimodels: (name) => ({
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'AIModel',
    metadata: { name, namespace: ns() },
    spec: { targets: [{ provider: 'mock', model: 'mock-1' }] },
  }),
  prompttemplates: (name) => ({
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'PromptTemplate',
    metadata: { name, namespace: ns() },
    spec: {
      model: `${name}-model`,
      messages: [{ role: 'user', content: 'Hello {{who}}' }],
      variables: [{ name: 'who', default: 'you' }],
    },
  }),
  consumers: (name) => ({
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Consumer',
    metadata: { name, namespace: ns() },
    spec: { displayName: name },
  }),
  policies: (name) => ({
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Policy',
    metadata: { name, namespace: ns() },
    spec: {
      targetRefs: [{ kind: 'Route', name: 'routes-journey' }],
      rateLimit: { requests: 10, per: 'second' },
    },
  }),
};
const updates: Record<string, unknown> = {
  routes: { hostnames: ['shop.example.com'] },
  aimodels: { strategy: 'Weighted' },
  prompttemplates: { messages: [{ role: 'user', content: 'Hi {{who}}' }] },
  consumers: { displayName: 'renamed' },
  policies: { rateLimit: { requests: 20, per: 'second' } },
};

/** The object in Kubernetes once its status reports `generation` with `type` = `status`. */
const reported = (plural: string, name: string, generation: number, type = 'Accepted', status = 'True') =>
  eventually(async () => {
    const object = await api().get(plural, ns(), name);
    const c = conditionOf(object, type);
    return c?.status === status && c?.observedGeneration === generation ? object : undefined;
  }, `${plural} ${name} ${type}=${status} at generation ${generation}`);

describe.each(Object.keys(factories))('%s applied in Kubernetes', (plural) => {
  it('reaches the control plane with its generation, follows updates and deletion, and gets its status back', async () => {
    const name = `${plural}-journey`;
    await api().create(plural, factories[plural]!(name));
    const first = await reported(plural, name, 1);
    const stored = await platform.admin('GET', `/api/v1/namespaces/${ns()}/${plural}/${name}`);
    expect(stored.status).toBe(200);
    expect(stored.body.metadata.generation).toBe(1);
    expect(conditionOf(first, 'ResolvedRefs')).toBeDefined();
    if (plural !== 'prompttemplates')
      expect(conditionOf(first, 'Programmed')).toMatchObject({ status: 'True', observedGeneration: 1 });

    await api().merge(plural, ns(), name, { spec: updates[plural] });
    await reported(plural, name, 2);
    expect((await platform.admin('GET', `/api/v1/namespaces/${ns()}/${plural}/${name}`)).body).toMatchObject({
      metadata: { generation: 2 },
      spec: updates[plural],
    });

    await api().delete(plural, ns(), name);
    await eventually(
      async () => (await api().get(plural, ns(), name)) === undefined,
      `${name} to be gone from Kubernetes`,
    );
    expect((await platform.admin('GET', `/api/v1/namespaces/${ns()}/${plural}/${name}`)).status).toBe(404);
  });
});

describe('the cluster', () => {
  it('is registered with its labels and shown active', async () => {
    const clusters = (await platform.admin('GET', '/api/v1/clusters')).body.items;
    expect(clusters.find((c: any) => c.name === CLUSTER)).toMatchObject({
      labels: { cloud: 'aws', region: 'us-east-1', env: 'prod' },
      state: 'active',
      operator: { pod: 'hubpo-operator-0' },
    });
    const config = (await platform.admin('GET', '/api/v1/config')).body;
    expect(config.clusters.map((c: any) => c.cluster)).toContain(CLUSTER);
  });
});

describe('validation', () => {
  it('refuses an invalid object as Accepted=False/Invalid and publishes nothing of it', async () => {
    await api().create('aimodels', {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'AIModel',
      metadata: { name: 'azure-without-endpoint', namespace: ns() },
      spec: { targets: [{ provider: 'azure-openai', model: 'gpt-4o' }] },
    });
    const refused = await reported('aimodels', 'azure-without-endpoint', 1, 'Accepted', 'False');
    expect(conditionOf(refused, 'Accepted')).toMatchObject({
      reason: 'Invalid',
      message: expect.stringContaining('/spec/targets/0/endpoint'),
    });
    expect(
      (await platform.admin('GET', `/api/v1/namespaces/${ns()}/aimodels/azure-without-endpoint`)).status,
    ).toBe(404);
  });
});

describe('secrets', () => {
  it('resolves a Consumer key once its Secret exists, and the control plane only ever sees the hash', async () => {
    await api().create('consumers', {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'Consumer',
      metadata: { name: 'mobile', namespace: ns() },
      spec: { apiKeys: [{ name: 'main', secretRef: { name: 'mobile-key', key: 'key' } }] },
    });
    const missing = await reported('consumers', 'mobile', 1, 'ResolvedRefs', 'False');
    expect(conditionOf(missing, 'ResolvedRefs')).toMatchObject({ reason: 'SecretNotFound' });
    expect((await platform.admin('GET', `/api/v1/namespaces/${ns()}/consumers/mobile`)).status).toBe(200);

    const key = 'hk_live_mobile_0123456789abcdef';
    await api().create('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'mobile-key', namespace: ns() },
      stringData: { key },
    });
    await reported('consumers', 'mobile', 1, 'ResolvedRefs', 'True');
    const stored = (await platform.admin('GET', `/api/v1/namespaces/${ns()}/consumers/mobile`)).body;
    expect(stored.spec.apiKeys).toEqual([
      { name: 'main', sha256: createHash('sha256').update(key).digest('hex') },
    ]);
  });

  it('seals an AIModel credential for the gateways with the data-plane key and never shows it', async () => {
    const credential = 'sk-e2e-provider-credential';
    await api().create('secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'openai', namespace: ns() },
      stringData: { 'api-key': credential },
    });
    await api().create('aimodels', {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'AIModel',
      metadata: { name: 'gpt', namespace: ns() },
      spec: {
        targets: [
          { provider: 'openai', model: 'gpt-4o', credentialsRef: { name: 'openai', key: 'api-key' } },
        ],
      },
    });
    const object = await reported('aimodels', 'gpt', 1, 'ResolvedRefs', 'True');
    expect(JSON.stringify(object)).not.toContain(credential);
    const admin = await platform.admin('GET', `/api/v1/namespaces/${ns()}/aimodels/gpt`);
    expect(JSON.stringify(admin.body)).not.toContain(credential);

    // What a gateway of the cluster received (its last-known-good file holds the payloads as sent).
    const gateway = await startGatewayOfCluster('gw-sealed');
    let payload: any;
    try {
      payload = await eventually(async () => {
        const bytes = await readSnapshotFile(join(platform.dataDir('gw-sealed'), 'last-known-good.snapshot'));
        const resource =
          bytes === undefined
            ? undefined
            : decodeSnapshotFile(bytes).resources.get(resourceKey('aimodel', `${ns()}/gpt`));
        return resource === undefined
          ? undefined
          : JSON.parse(Buffer.from(resource.payload).toString('utf8'));
      }, 'the gateway to hold the AIModel');
    } finally {
      await gateway.stop();
    }
    const sealed: string = payload.targets[0].credential;
    expect(sealed).not.toContain(credential);
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', platform.dataplaneKey, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    expect(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString()).toBe(credential);
  });
});

describe('gateways of the cluster', () => {
  let echo: EchoServer;
  beforeAll(async () => {
    echo = await startEchoServer({ name: 'orders' });
  });
  afterAll(async () => {
    await echo?.stop();
  });

  it('serve a Route applied in Kubernetes, and the Route reports Distributed=True', async () => {
    const gateway = await startGatewayOfCluster('gw-route');
    try {
      await api().create('routes', {
        apiVersion: 'hubpo.io/v1alpha1',
        kind: 'Route',
        metadata: { name: 'orders', namespace: ns() },
        spec: {
          rules: [
            { matches: [{ path: { type: 'PathPrefix', value: '/orders' } }], backends: [{ url: echo.url }] },
          ],
        },
      });
      await eventually(
        async () => (await fetch(`${gateway.url}/orders/1`)).status === 200,
        'the gateway to serve /orders',
      );
      const object = await reported('routes', 'orders', 1, 'Distributed', 'True');
      expect(object.status.distribution).toEqual([
        expect.objectContaining({ cluster: CLUSTER, gateways: 1, acked: 1 }),
      ]);
    } finally {
      await gateway.stop();
    }
  });
});

describe('deletion during a control plane outage', () => {
  it('holds the deleted object until the control plane is back and has forgotten it', async () => {
    await api().create('routes', factories['routes']!('outage'));
    await reported('routes', 'outage', 1);
    await platform.stopControlPlane();
    try {
      await api().delete('routes', ns(), 'outage');
      await new Promise((r) => setTimeout(r, 1500));
      const held = await api().get('routes', ns(), 'outage');
      expect(held.metadata.deletionTimestamp).toBeDefined();
      expect(held.metadata.finalizers).toEqual(['hubpo.io/cleanup']);
    } finally {
      await platform.startControlPlane();
    }
    await eventually(
      async () => (await api().get('routes', ns(), 'outage')) === undefined,
      'the Route to be gone',
    );
    expect((await platform.admin('GET', `/api/v1/namespaces/${ns()}/routes/outage`)).status).toBe(404);
  });
});

describe('replicas', () => {
  it('fail over to the standby, which registers (rotating the token) and keeps reconciling', async () => {
    const leader = platform.operators[0]!;
    const standby = await platform.startOperator();
    await new Promise((r) => setTimeout(r, 1000));
    expect(leader.isLeader()).toBe(true);
    expect(standby.isLeader()).toBe(false);
    await leader.stop();
    await eventually(async () => standby.isLeader() && standby.isReady(), 'the standby to lead');
    const clusters = (await platform.admin('GET', '/api/v1/clusters')).body.items;
    expect(clusters.find((c: any) => c.name === CLUSTER).operator.pod).toBe('hubpo-operator-1');
    await api().create('routes', factories['routes']!('after-failover'));
    await reported('routes', 'after-failover', 1);
  });
});

/** A gateway of cluster `east` on the control plane's gRPC server. */
function startGatewayOfCluster(nodeId: string): Promise<Gateway> {
  return createGateway({
    nodeId,
    cluster: CLUSTER,
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    driver: { kind: 'grpc', target: platform.grpcAddress },
    dataDir: platform.dataDir(nodeId),
    logLevel: 'silent',
    timeouts: { reconnectInitialMs: 50, reconnectMaxMs: 300, heartbeatIntervalMs: 500 },
  });
}
