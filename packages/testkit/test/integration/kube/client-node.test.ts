/**
 * The real @kubernetes/client-node 1.3 against the fake: the typed APIs, discovery-driven
 * KubernetesObjectApi, Watch and the informer, through a kubeconfig the fake writes.
 */
import {
  ApiException,
  CoordinationV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  Watch,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { startFakeKube, type FakeKube } from '../../../src/kube/index.js';

const group = 'hubpo.io';
const version = 'v1alpha1';
const plural = 'routes';

interface Route extends KubernetesObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** A Route as a client builds it: type and object meta always set. */
interface RouteInput extends Route {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
}

let fake: FakeKube;
let kc: KubeConfig;

beforeEach(async () => {
  fake = await startFakeKube({ bookmarkIntervalMs: 50 });
  kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfig());
  await kc.makeApiClient(CustomObjectsApi); // constructing clients must not need the network
});
afterEach(() => fake.stop());

const crd = () => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { kind: 'Route', plural, singular: 'route', listKind: 'RouteList' },
    versions: [
      {
        name: version,
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
});

const route = (name: string, spec: Record<string, unknown> = { host: 'a.example.com' }): RouteInput => ({
  apiVersion: `${group}/${version}`,
  kind: 'Route',
  metadata: { name, namespace: 'default', labels: { app: 'demo' } },
  spec,
});

async function statusOf(promise: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiException) return { code: err.code, body: JSON.parse(String(err.body)) };
    throw err;
  }
  throw new Error('expected the call to fail');
}

async function eventually(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('@kubernetes/client-node against the fake', () => {
  it('applies a CRD with KubernetesObjectApi, then creates, reads, patches and deletes through discovery', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.create(crd());
    const created = await objects.create<Route>(route('r1'));
    expect(created.metadata?.uid).toEqual(expect.any(String));
    const read = await objects.read<Route>({
      apiVersion: `${group}/${version}`,
      kind: 'Route',
      metadata: { name: 'r1', namespace: 'default' },
    });
    expect(read.spec).toEqual({ host: 'a.example.com' });

    const applied = await objects.patch<Route>(
      route('r2', { host: 'b.example.com' }),
      undefined,
      undefined,
      'hubpo-operator',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(applied.metadata?.managedFields?.[0]?.manager).toBe('hubpo-operator');
    const merged = await objects.patch<Route>(
      { ...route('r2'), spec: { tls: true } },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    expect(merged.spec).toEqual({ host: 'b.example.com', tls: true });

    const list = await objects.list<Route>(`${group}/${version}`, 'Route', 'default');
    expect(list.items.map((r) => r.metadata?.name)).toEqual(['r1', 'r2']);
    await objects.delete(route('r1'));
    const missing = await statusOf(objects.read(route('r1')));
    expect(missing.code).toBe(404);
    expect(missing.body.reason).toBe('NotFound');
  });

  it('uses CustomObjectsApi to create, list, patch status (JSON and merge patch) and hits optimistic concurrency', async () => {
    fake.registerCrd({ group, version, kind: 'Route', plural, namespaced: true, statusSubresource: true });
    const api = kc.makeApiClient(CustomObjectsApi);
    const created = (await api.createNamespacedCustomObject({
      group,
      version,
      namespace: 'default',
      plural,
      body: route('r1'),
    })) as Route;
    expect(created.metadata?.generation).toBe(1);

    const list = (await api.listNamespacedCustomObject({
      group,
      version,
      namespace: 'default',
      plural,
      labelSelector: 'app=demo',
    })) as { items: Route[]; metadata: { resourceVersion: string } };
    expect(list.items.map((r) => r.metadata?.name)).toEqual(['r1']);
    expect(list.metadata.resourceVersion).toBe(fake.resourceVersion);

    const jsonPatched = (await api.patchNamespacedCustomObjectStatus({
      group,
      version,
      namespace: 'default',
      plural,
      name: 'r1',
      body: [
        {
          op: 'add',
          path: '/status',
          value: { observedGeneration: 1, conditions: [{ type: 'Accepted', status: 'True' }] },
        },
      ],
    })) as Route;
    expect(jsonPatched.status).toEqual({
      observedGeneration: 1,
      conditions: [{ type: 'Accepted', status: 'True' }],
    });
    expect(jsonPatched.metadata?.generation).toBe(1);

    const mergePatched = (await api.patchNamespacedCustomObjectStatus(
      { group, version, namespace: 'default', plural, name: 'r1', body: { status: { programmed: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Route;
    expect(mergePatched.status).toMatchObject({ observedGeneration: 1, programmed: true });

    const stale = await statusOf(
      api.replaceNamespacedCustomObject({
        group,
        version,
        namespace: 'default',
        plural,
        name: 'r1',
        body: { ...created, spec: { host: 'x' } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    expect(fake.get(`${group}/${version}`, 'Route', 'default', 'r1')?.['status']).toMatchObject({
      programmed: true,
    });
  });

  it('takes, renews and contends for a Lease with CoordinationV1Api', async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    const now = new V1MicroTime();
    const taken = await leases.createNamespacedLease({
      namespace: 'default',
      body: {
        metadata: { name: 'hubpo-operator' },
        spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15, acquireTime: now, renewTime: now },
      },
    });
    expect(taken.spec?.holderIdentity).toBe('pod-a');
    // client-node sends MicroTime with microseconds and hands it back as the string the server stored.
    expect(new Date(String(taken.spec?.renewTime)).getTime()).toBe(now.getTime());

    const read = await leases.readNamespacedLease({ name: 'hubpo-operator', namespace: 'default' });
    const renewed = await leases.replaceNamespacedLease({
      name: 'hubpo-operator',
      namespace: 'default',
      body: { ...read, spec: { ...read.spec, renewTime: new V1MicroTime(Date.now() + 1000) } },
    });
    expect(Number(renewed.metadata?.resourceVersion)).toBeGreaterThan(Number(read.metadata?.resourceVersion));

    const contender = await statusOf(
      leases.replaceNamespacedLease({
        name: 'hubpo-operator',
        namespace: 'default',
        body: { ...read, spec: { ...read.spec, holderIdentity: 'pod-b' } },
      }),
    );
    expect(contender.code).toBe(409);
    expect(
      (await leases.readNamespacedLease({ name: 'hubpo-operator', namespace: 'default' })).spec
        ?.holderIdentity,
    ).toBe('pod-a');
  });

  it('streams events to Watch, with bookmarks, and reports an abrupt break through done', async () => {
    fake.registerCrd({ group, version, kind: 'Route', plural, namespaced: true, statusSubresource: true });
    const seen: Array<[string, string | undefined]> = [];
    let doneWith: unknown = 'not yet';
    const watch = new Watch(kc);
    await watch.watch(
      `/apis/${group}/${version}/namespaces/default/${plural}`,
      { allowWatchBookmarks: true, resourceVersion: fake.resourceVersion },
      (type, object: Route) => seen.push([type, object.metadata?.name]),
      (err) => {
        doneWith = err;
      },
    );
    await eventually(() => fake.watchCount(plural) === 1, 'the watch to open');
    const api = kc.makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({
      group,
      version,
      namespace: 'default',
      plural,
      body: route('r1'),
    });
    await api.deleteNamespacedCustomObject({ group, version, namespace: 'default', plural, name: 'r1' });
    await eventually(
      () => seen.some(([t]) => t === 'DELETED') && seen.some(([t]) => t === 'BOOKMARK'),
      'events and a bookmark',
    );
    expect(seen.filter(([t]) => t !== 'BOOKMARK')).toEqual([
      ['ADDED', 'r1'],
      ['DELETED', 'r1'],
    ]);
    fake.breakWatches();
    await eventually(() => doneWith !== 'not yet', 'done to be called');
    expect(doneWith).toBeInstanceOf(Error);
  });

  it('keeps an informer in sync across a watch that expires (410) and relists', async () => {
    fake.registerCrd({ group, version, kind: 'Route', plural, namespaced: true, statusSubresource: true });
    const api = kc.makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({
      group,
      version,
      namespace: 'default',
      plural,
      body: route('before'),
    });
    const informer = makeInformer<Route>(kc, `/apis/${group}/${version}/namespaces/default/${plural}`, () =>
      api.listNamespacedCustomObject({ group, version, namespace: 'default', plural }),
    );
    const added: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (obj) => added.push(obj.metadata?.name ?? ''));
    informer.on('error', (err) => errors.push(err));
    await informer.start();
    try {
      await eventually(
        () => added.includes('before') && fake.watchCount(plural) === 1,
        'the initial list and watch',
      );
      // End the watch cleanly, then change and compact before the informer reconnects from its resourceVersion.
      fake.breakWatches({ graceful: true });
      fake.apply(route('during'));
      fake.compactHistory();
      await eventually(() => added.includes('during'), 'the informer to relist after 410');
      expect(
        fake.requests.filter((r) => r.method === 'GET' && !r.url.includes('watch=')).length,
      ).toBeGreaterThanOrEqual(2);
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});
