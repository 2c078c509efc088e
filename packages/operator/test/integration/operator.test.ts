/**
 * The operator against Kubernetes (the fake API server, or the cluster KUBECONFIG points at) and
 * a small fake control plane. Assertions use only the Kubernetes API, so this file runs
 * unchanged against a real cluster.
 */
import { createHash } from 'node:crypto';
import type { Operator } from '@hubpo/operator';
import type { TestObject } from '../../src/kube/testdata/test-kube-api.js';
import { FakeControlPlane } from '../support/fake-control-plane.js';
import { kubeTarget } from '../support/kube-target.js';
import type { KubeTarget } from '../support/kube-target.js';
import {
  API_VERSION,
  aiModel,
  conditionOf,
  consumer,
  eventually,
  policy,
  promptTemplate,
  route,
  secret,
  startOperator,
} from '../support/operator-harness.js';

jest.setTimeout(90_000);

const BOOTSTRAP = 'operator-test-bootstrap-token';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

let target: KubeTarget;
let other: string;
let cp: FakeControlPlane;
let operator: Operator;
let ns: string;

beforeAll(async () => {
  target = await kubeTarget();
  ns = target.namespace;
  other = await target.createNamespace();
  cp = await FakeControlPlane.start(BOOTSTRAP);
  operator = await startOperator(
    target,
    { url: cp.url, bootstrapToken: BOOTSTRAP },
    { watchNamespaces: [ns, other] },
  );
  await eventually(
    async () => operator.isLeader() && operator.isReady(),
    'the operator to lead and be ready',
  );
});

afterAll(async () => {
  await operator?.stop();
  await cp?.stop();
  await target?.cleanup();
});

const get = (kind: string, name: string, namespace = ns) =>
  target.api.get(API_VERSION, kind, namespace, name);

/** Waits until the object's status reports `generation` with condition `type` as given. */
function statusOf(
  kind: string,
  name: string,
  generation: number,
  type = 'Accepted',
  status = 'True',
  namespace = ns,
) {
  return eventually(async () => {
    const object = await get(kind, name, namespace);
    const c = conditionOf(object, type);
    return c?.status === status && c.observedGeneration === generation ? object : undefined;
  }, `${kind} ${name} ${type}=${status} at generation ${generation}`);
}

const kinds: [string, string, (name: string) => TestObject, Record<string, unknown>][] = [
  ['Route', 'routes', (n) => route(ns, n), { hostnames: ['v2.example.com'] }],
  ['AIModel', 'aimodels', (n) => aiModel(ns, n), { strategy: 'Weighted' }],
  ['PromptTemplate', 'prompttemplates', (n) => promptTemplate(ns, n), { model: 'other-chat' }],
  ['Consumer', 'consumers', (n) => consumer(ns, n), { displayName: 'Renamed' }],
  ['Policy', 'policies', (n) => policy(ns, n, 'anything'), { rateLimit: { requests: 5, per: 'minute' } }],
];

describe.each(kinds)('%s', (kind, plural, make, change) => {
  it('is created, updated and deleted on the control plane, with status written back', async () => {
    const name = `${plural}-lifecycle`;
    await target.api.create(make(name));
    const first = await statusOf(kind, name, 1);
    expect(first.metadata?.finalizers).toContain('hubpo.io/cleanup');
    expect(cp.get(plural, ns, name)).toMatchObject({
      generation: 1,
      body: { metadata: { name, namespace: ns, generation: 1 } },
    });
    expect(conditionOf(first, 'Programmed')).toMatchObject({ status: 'True', observedGeneration: 1 });
    expect(conditionOf(first, 'Distributed')).toMatchObject({ status: 'Unknown', reason: 'NoGateways' });
    expect((first['status'] as any).distribution).toEqual([expect.objectContaining({ cluster: 'test' })]);
    const acceptedSince = conditionOf(first, 'Accepted')?.lastTransitionTime;

    await target.api.merge(API_VERSION, kind, ns, name, { spec: change });
    const second = await statusOf(kind, name, 2);
    expect(cp.get(plural, ns, name)?.body['spec']).toMatchObject(change);
    expect(conditionOf(second, 'Accepted')?.lastTransitionTime).toBe(acceptedSince);

    await target.api.delete(API_VERSION, kind, ns, name);
    await eventually(async () => (await get(kind, name)) === undefined, `${kind} ${name} to be gone`);
    expect(cp.get(plural, ns, name)).toBeUndefined();
  });
});

describe('invalid objects', () => {
  it('marks an object the control plane refuses Accepted=False/Invalid with the issues, records a Warning, publishes nothing', async () => {
    const duplicate = aiModel(ns, 'twins', {
      targets: [
        { provider: 'mock', model: 'mock-1' },
        { provider: 'mock', model: 'mock-1' },
      ],
    });
    await target.api.create(duplicate);
    const refused = await statusOf('AIModel', 'twins', 1, 'Accepted', 'False');
    expect(conditionOf(refused, 'Accepted')).toMatchObject({
      reason: 'Invalid',
      message: expect.stringContaining('/spec/targets/1/name'),
    });
    expect(conditionOf(refused, 'Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(cp.get('aimodels', ns, 'twins')).toBeUndefined();
    const events = await eventually(async () => {
      const list = await target.api.list('v1', 'Event', ns, 'involvedObject.name=twins');
      return list.some((e) => e['reason'] === 'Invalid') ? list : undefined;
    }, 'a Warning event');
    expect(events.find((e) => e['reason'] === 'Invalid')).toMatchObject({
      type: 'Warning',
      message: expect.stringContaining('duplicate target name'),
    });

    await target.api.merge(API_VERSION, 'AIModel', ns, 'twins', {
      spec: { targets: [{ provider: 'mock', model: 'mock-1' }] },
    });
    await statusOf('AIModel', 'twins', 2);
    expect(cp.get('aimodels', ns, 'twins')?.generation).toBe(2);
  });
});

describe('Secrets', () => {
  it('reports a missing Secret as ResolvedRefs=False/SecretNotFound, sends the object anyway, and resolves when it appears or changes', async () => {
    await target.api.create(
      consumer(ns, 'mobile', { apiKeys: [{ name: 'main', secretRef: { name: 'mobile-keys', key: 'key' } }] }),
    );
    const missing = await statusOf('Consumer', 'mobile', 1, 'ResolvedRefs', 'False');
    expect(conditionOf(missing, 'ResolvedRefs')).toMatchObject({
      reason: 'SecretNotFound',
      message: expect.stringContaining(`Secret ${ns}/mobile-keys not found`),
    });
    expect(cp.get('consumers', ns, 'mobile')?.body['spec'].apiKeys).toEqual([
      { name: 'main', secretRef: { name: 'mobile-keys', key: 'key' } },
    ]);

    await target.api.create(secret(ns, 'mobile-keys', { key: 'hk_live_first_0123456789' }));
    await statusOf('Consumer', 'mobile', 1, 'ResolvedRefs', 'True');
    expect(cp.get('consumers', ns, 'mobile')?.body['spec'].apiKeys).toEqual([
      { name: 'main', sha256: sha256('hk_live_first_0123456789') },
    ]);
    expect(JSON.stringify(cp.get('consumers', ns, 'mobile')?.body)).not.toContain('hk_live_first');

    await target.api.merge('v1', 'Secret', ns, 'mobile-keys', {
      data: { key: Buffer.from('hk_live_second_0123456789').toString('base64') },
    });
    await eventually(
      async () =>
        cp.get('consumers', ns, 'mobile')?.body['spec'].apiKeys[0].sha256 ===
        sha256('hk_live_second_0123456789'),
      'the rotated key hash',
    );
  });

  it('sends an AIModel credential from its Secret to the control plane', async () => {
    await target.api.create(secret(ns, 'openai', { 'api-key': 'sk-test-provider-key' }));
    await target.api.create(
      aiModel(ns, 'gpt', {
        targets: [
          { provider: 'openai', model: 'gpt-4o', credentialsRef: { name: 'openai', key: 'api-key' } },
        ],
      }),
    );
    await statusOf('AIModel', 'gpt', 1, 'ResolvedRefs', 'True');
    expect(cp.get('aimodels', ns, 'gpt')?.body['secrets']).toEqual({
      credentials: [{ target: 0, value: 'sk-test-provider-key' }],
    });
    expect(cp.get('aimodels', ns, 'gpt')?.body['spec'].targets[0].credentialsRef).toEqual({
      name: 'openai',
      key: 'api-key',
    });
  });

  it('refuses a Secret in another namespace (RefNotPermitted) until that Secret grants it', async () => {
    await target.api.create(secret(other, 'shared', { 'api-key': 'sk-shared-key' }));
    await target.api.create(
      aiModel(ns, 'cross', {
        targets: [
          {
            provider: 'openai',
            model: 'gpt-4o',
            credentialsRef: { name: 'shared', namespace: other, key: 'api-key' },
          },
        ],
      }),
    );
    const denied = await statusOf('AIModel', 'cross', 1, 'ResolvedRefs', 'False');
    expect(conditionOf(denied, 'ResolvedRefs')).toMatchObject({ reason: 'RefNotPermitted' });
    expect(cp.get('aimodels', ns, 'cross')?.body['secrets']).toBeUndefined();

    await target.api.merge('v1', 'Secret', other, 'shared', {
      metadata: { annotations: { 'hubpo.io/allow-references-from': ns } },
    });
    await statusOf('AIModel', 'cross', 1, 'ResolvedRefs', 'True');
    expect(cp.get('aimodels', ns, 'cross')?.body['secrets']).toEqual({
      credentials: [{ target: 0, value: 'sk-shared-key' }],
    });
  });
});

describe('cross-namespace references', () => {
  it('withholds a Route whose only backend is a Service in a namespace that did not grant it, until the namespace does', async () => {
    const spec = { rules: [{ backends: [{ service: { name: 'orders', namespace: other, port: 8080 } }] }] };
    await target.api.create(route(ns, 'foreign', spec));
    const withheld = await statusOf('Route', 'foreign', 1, 'Accepted', 'False');
    expect(conditionOf(withheld, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'RefNotPermitted',
    });
    expect(cp.get('routes', ns, 'foreign')).toBeUndefined();

    await target.api.merge('v1', 'Namespace', undefined, other, {
      metadata: { annotations: { 'hubpo.io/allow-references-from': `some-other, ${ns}` } },
    });
    await statusOf('Route', 'foreign', 1, 'ResolvedRefs', 'True');
    expect(cp.get('routes', ns, 'foreign')?.body['spec']).toEqual({
      hostnames: ['shop.example.com'],
      ...spec,
    });
  });
});

describe('deletion', () => {
  it('keeps a deleted object (finalizer) while the control plane is down, and lets it go once the control plane forgot it', async () => {
    await target.api.create(route(ns, 'held'));
    await statusOf('Route', 'held', 1);
    cp.down = true;
    try {
      await target.api.delete(API_VERSION, 'Route', ns, 'held');
      await new Promise((r) => setTimeout(r, 1500));
      const held = await get('Route', 'held');
      expect(held?.metadata?.deletionTimestamp).toBeDefined();
      expect(held?.metadata?.finalizers).toEqual(['hubpo.io/cleanup']);
      expect(cp.get('routes', ns, 'held')).toBeDefined();
    } finally {
      cp.down = false;
    }
    await eventually(async () => (await get('Route', 'held')) === undefined, 'the Route to be gone');
    expect(cp.get('routes', ns, 'held')).toBeUndefined();
  });
});

describe('registration', () => {
  it('registers with the bootstrap token and heartbeats', async () => {
    expect(cp.registrations).toBeGreaterThanOrEqual(1);
    const beats = cp.heartbeats;
    await eventually(async () => cp.heartbeats > beats, 'a heartbeat');
    const health = await fetch(`${operator.healthUrl}/readyz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ready' });
    expect((await fetch(`${operator.healthUrl}/healthz`)).status).toBe(200);
  });
});
