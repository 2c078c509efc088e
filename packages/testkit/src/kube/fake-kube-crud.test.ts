import { readFile, stat } from 'node:fs/promises';
import { parse } from 'yaml';
import { startFakeKube, type FakeKube } from './fake-kube.js';
import { call, WIDGETS, widget, widgetCrd } from './testdata/kube-http.js';

let fake: FakeKube;
beforeEach(async () => {
  fake = await startFakeKube({ crds: [widgetCrd], namespaces: ['team-a'] });
});
afterEach(() => fake.stop());

function expectStatus(body: any, code: number, reason: string) {
  expect(body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  expect(typeof body.message).toBe('string');
}

describe('create and get', () => {
  it('creates with server-set metadata and reads it back', async () => {
    const created = await call(fake, 'POST', WIDGETS, widget('w1', { size: 3 }));
    expect(created.status).toBe(201);
    expect(created.headers['content-type']).toBe('application/json');
    const meta = created.body.metadata;
    expect(meta).toMatchObject({ name: 'w1', namespace: 'default', generation: 1 });
    expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(meta.resourceVersion).toBe(fake.resourceVersion);
    const got = await call(fake, 'GET', `${WIDGETS}/w1`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
  });

  it('fills apiVersion and kind when the body leaves them out, rejects a mismatch', async () => {
    const ok = await call(fake, 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'c' },
      data: { a: '1' },
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    const bad = await call(fake, 'POST', WIDGETS, { ...widget('x'), kind: 'Gadget' });
    expect(bad.status).toBe(400);
    expectStatus(bad.body, 400, 'BadRequest');
  });

  it('bumps one global resourceVersion on every write, across types', async () => {
    const a = await call(fake, 'POST', WIDGETS, widget('a'));
    const b = await call(fake, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'b' } });
    expect(Number(b.body.metadata.resourceVersion)).toBe(Number(a.body.metadata.resourceVersion) + 1);
  });

  it('names objects from generateName', async () => {
    const res = await call(fake, 'POST', WIDGETS, widget('', undefined, { generateName: 'gen-' }));
    expect(res.status).toBe(201);
    expect(res.body.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('answers 422 Invalid without a name and for a name that is not a DNS subdomain', async () => {
    const missing = await call(fake, 'POST', WIDGETS, { ...widget('x'), metadata: {} });
    expectStatus(missing.body, 422, 'Invalid');
    expect(missing.body.details.causes[0].field).toBe('metadata.name');
    const upper = await call(fake, 'POST', WIDGETS, widget('Not_Valid'));
    expectStatus(upper.body, 422, 'Invalid');
  });

  it('answers 409 AlreadyExists for a duplicate name', async () => {
    await call(fake, 'POST', WIDGETS, widget('dup'));
    const res = await call(fake, 'POST', WIDGETS, widget('dup'));
    expectStatus(res.body, 409, 'AlreadyExists');
    expect(res.body.details).toEqual({ name: 'dup', group: 'example.com', kind: 'widgets' });
    expect(res.body.message).toBe('widgets.example.com "dup" already exists');
  });

  it('answers 404 NotFound for a namespaced create in a namespace that does not exist', async () => {
    const res = await call(fake, 'POST', '/apis/example.com/v1/namespaces/nope/widgets', widget('w'));
    expectStatus(res.body, 404, 'NotFound');
    expect(res.body.message).toBe('namespaces "nope" not found');
    expect(res.body.details).toEqual({ name: 'nope', kind: 'namespaces' });
    expect(
      (await call(fake, 'POST', '/apis/example.com/v1/namespaces/team-a/widgets', widget('w'))).status,
    ).toBe(201);
  });

  it('answers 404 NotFound for a missing object and for an unknown resource', async () => {
    const missing = await call(fake, 'GET', `${WIDGETS}/none`);
    expectStatus(missing.body, 404, 'NotFound');
    expect(missing.body.message).toBe('widgets.example.com "none" not found');
    const core = await call(fake, 'GET', '/api/v1/namespaces/default/configmaps/none');
    expect(core.body.details).toEqual({ name: 'none', kind: 'configmaps' });
    const unknown = await call(fake, 'GET', '/apis/example.com/v1/namespaces/default/gadgets');
    expectStatus(unknown.body, 404, 'NotFound');
  });

  it('rejects a body whose namespace differs from the path', async () => {
    const res = await call(fake, 'POST', WIDGETS, widget('w', undefined, { namespace: 'team-a' }));
    expectStatus(res.body, 400, 'BadRequest');
  });

  it('rejects a create that carries a resourceVersion, as the real server does', async () => {
    const res = await call(fake, 'POST', WIDGETS, widget('w', undefined, { resourceVersion: '5' }));
    expect(res.status).toBe(500);
    expect(res.body.message).toContain('resourceVersion should not be set on objects to be created');
  });

  it('validates but stores nothing with dryRun=All', async () => {
    const before = fake.resourceVersion;
    const res = await call(fake, 'POST', `${WIDGETS}?dryRun=All`, widget('dry'));
    expect(res.status).toBe(201);
    expect(res.body.metadata.name).toBe('dry');
    expect(fake.get('example.com/v1', 'Widget', 'default', 'dry')).toBeUndefined();
    expect(fake.resourceVersion).toBe(before);
    await call(fake, 'POST', WIDGETS, widget('wet'));
    const patched = await call(
      fake,
      'PATCH',
      `${WIDGETS}/wet?dryRun=All`,
      { spec: { size: 9 } },
      'application/merge-patch+json',
    );
    expect(patched.body.spec).toEqual({ size: 9 });
    expect(fake.get('example.com/v1', 'Widget', 'default', 'wet')?.['spec']).toEqual({ size: 1 });
    expect((await call(fake, 'POST', `${WIDGETS}?dryRun=Some`, widget('x'))).status).toBe(400);
  });

  it('accepts YAML bodies', async () => {
    const yaml = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: from-yaml\nspec:\n  size: 2\n';
    const res = await call(fake, 'POST', WIDGETS, yaml, 'application/yaml');
    expect(res.status).toBe(201);
    expect(res.body.spec).toEqual({ size: 2 });
  });
});

describe('update', () => {
  it('replaces with the current resourceVersion and answers 409 Conflict with a stale one', async () => {
    const created = (await call(fake, 'POST', WIDGETS, widget('w', { size: 1 }))).body;
    const updated = await call(fake, 'PUT', `${WIDGETS}/w`, { ...created, spec: { size: 2 } });
    expect(updated.status).toBe(200);
    expect(updated.body.spec).toEqual({ size: 2 });
    expect(Number(updated.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
    const stale = await call(fake, 'PUT', `${WIDGETS}/w`, { ...created, spec: { size: 9 } });
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Operation cannot be fulfilled on widgets.example.com "w": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'w', group: 'example.com', kind: 'widgets' },
      code: 409,
    });
    expect(fake.get('example.com/v1', 'Widget', 'default', 'w')?.['spec']).toEqual({ size: 2 });
  });

  it('updates unconditionally without a resourceVersion', async () => {
    await call(fake, 'POST', WIDGETS, widget('w'));
    const res = await call(fake, 'PUT', `${WIDGETS}/w`, widget('w', { size: 5 }));
    expect(res.status).toBe(200);
    expect(res.body.spec).toEqual({ size: 5 });
  });

  it('keeps server-owned metadata whatever the body says', async () => {
    const created = (await call(fake, 'POST', WIDGETS, widget('w'))).body;
    const body = {
      ...created,
      metadata: {
        ...created.metadata,
        uid: undefined,
        creationTimestamp: '2000-01-01T00:00:00Z',
        generation: 40,
      },
    };
    const res = await call(fake, 'PUT', `${WIDGETS}/w`, body);
    expect(res.body.metadata).toMatchObject({
      uid: created.metadata.uid,
      creationTimestamp: created.metadata.creationTimestamp,
      generation: 1,
    });
  });

  it('answers 404 for an update of a missing object and 400 for a name mismatch', async () => {
    expect((await call(fake, 'PUT', `${WIDGETS}/none`, widget('none'))).status).toBe(404);
    await call(fake, 'POST', WIDGETS, widget('w'));
    expect((await call(fake, 'PUT', `${WIDGETS}/w`, widget('other'))).body.reason).toBe('BadRequest');
  });

  it('does not write (same resourceVersion, no event) when an update changes nothing', async () => {
    const created = (await call(fake, 'POST', WIDGETS, widget('w'))).body;
    const same = await call(fake, 'PUT', `${WIDGETS}/w`, created);
    expect(same.status).toBe(200);
    expect(same.body.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(fake.resourceVersion).toBe(created.metadata.resourceVersion);
  });
});

describe('types with server behaviour', () => {
  it('stores Secret stringData as base64 data and defaults the type', async () => {
    const res = await call(fake, 'POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: 's' },
      data: { a: Buffer.from('x').toString('base64') },
      stringData: { token: 'hunter2' },
    });
    expect(res.body.data).toEqual({ a: 'eA==', token: Buffer.from('hunter2').toString('base64') });
    expect(res.body.stringData).toBeUndefined();
    expect(res.body.type).toBe('Opaque');
  });

  it('gives built-in objects no generation and leaves kind out of built-in list items', async () => {
    const cm = await call(fake, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'c' } });
    expect(cm.body.metadata.generation).toBeUndefined();
    const list = await call(fake, 'GET', '/api/v1/namespaces/default/configmaps');
    expect(list.body).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMapList' });
    expect(list.body.items[0].kind).toBeUndefined();
    await call(fake, 'POST', WIDGETS, widget('w'));
    const widgets = await call(fake, 'GET', WIDGETS);
    expect(widgets.body.items[0]).toMatchObject({ apiVersion: 'example.com/v1', kind: 'Widget' });
  });

  it('serves leases in coordination.k8s.io/v1 and events in v1 and events.k8s.io/v1', async () => {
    const lease = await call(fake, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', {
      metadata: { name: 'leader' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
    });
    expect(lease.body).toMatchObject({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' });
    const ev = await call(fake, 'POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      metadata: { name: 'e1' },
      reason: 'Synced',
    });
    expect(ev.body).toMatchObject({ apiVersion: 'events.k8s.io/v1', kind: 'Event' });
    const core = await call(fake, 'POST', '/api/v1/namespaces/default/events', {
      metadata: { name: 'e2' },
      reason: 'Synced',
    });
    expect(core.body).toMatchObject({ apiVersion: 'v1', kind: 'Event' });
  });
});

describe('custom resource definitions', () => {
  const crd = (plural: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.hubpo.io` },
    spec: {
      group: 'hubpo.io',
      scope: 'Namespaced',
      names: { kind: 'Route', plural, singular: 'route', listKind: 'RouteList' },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object' } },
        },
      ],
      ...extra,
    },
  });

  it('registers a custom resource from a POSTed CRD and reports it Established', async () => {
    const created = await call(
      fake,
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      crd('routes'),
    );
    expect(created.status).toBe(201);
    const conditions = created.body.status.conditions.map((c: any) => [c.type, c.status]);
    expect(conditions).toEqual(
      expect.arrayContaining([
        ['Established', 'True'],
        ['NamesAccepted', 'True'],
      ]),
    );
    const discovery = await call(fake, 'GET', '/apis/hubpo.io/v1alpha1');
    expect(discovery.body.resources.map((r: any) => r.name)).toEqual(['routes', 'routes/status']);
    const route = await call(fake, 'POST', '/apis/hubpo.io/v1alpha1/namespaces/default/routes', {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'Route',
      metadata: { name: 'r' },
      spec: {},
    });
    expect(route.status).toBe(201);
  });

  it('accepts the CRD as YAML and rejects an invalid one with 422', async () => {
    const { stringify } = await import('yaml');
    const ok = await call(
      fake,
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      stringify(crd('routes')),
      'application/yaml',
    );
    expect(ok.status).toBe(201);
    const bad = crd('things');
    bad.metadata.name = 'wrong.hubpo.io';
    const res = await call(fake, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', bad);
    expectStatus(res.body, 422, 'Invalid');
    expect(res.body.details.causes.map((c: any) => c.field)).toContain('metadata.name');
  });

  it('stops serving a custom resource when its CRD is deleted', async () => {
    await call(fake, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd('routes'));
    expect((await call(fake, 'GET', '/apis/hubpo.io/v1alpha1/namespaces/default/routes')).status).toBe(200);
    await call(fake, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/routes.hubpo.io');
    expect((await call(fake, 'GET', '/apis/hubpo.io/v1alpha1/namespaces/default/routes')).status).toBe(404);
    expect((await call(fake, 'GET', '/apis')).body.groups.map((g: any) => g.name)).not.toContain('hubpo.io');
  });

  it('lists registerCrd registrations as CRD objects', async () => {
    const res = await call(
      fake,
      'GET',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com',
    );
    expect(res.body.spec).toMatchObject({
      group: 'example.com',
      scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets' },
    });
  });
});

describe('discovery', () => {
  it('serves /api, /api/v1, /apis and group versions', async () => {
    const api = await call(fake, 'GET', '/api');
    expect(api.body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const v1 = await call(fake, 'GET', '/api/v1');
    const names = v1.body.resources.map((r: any) => r.name);
    expect(names).toEqual(
      expect.arrayContaining(['namespaces', 'namespaces/status', 'secrets', 'configmaps', 'events']),
    );
    const ns = v1.body.resources.find((r: any) => r.name === 'namespaces');
    expect(ns).toMatchObject({ kind: 'Namespace', namespaced: false, singularName: 'namespace' });
    expect(ns.verbs).toEqual(
      expect.arrayContaining(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
    );
    const apis = await call(fake, 'GET', '/apis');
    expect(apis.body.kind).toBe('APIGroupList');
    const groups = apis.body.groups.map((g: any) => g.name);
    expect(groups).toEqual(
      expect.arrayContaining(['coordination.k8s.io', 'events.k8s.io', 'apiextensions.k8s.io', 'example.com']),
    );
    const widgets = await call(fake, 'GET', '/apis/example.com/v1');
    expect(widgets.body.resources[0]).toMatchObject({
      name: 'widgets',
      kind: 'Widget',
      namespaced: true,
      shortNames: ['wd'],
    });
    const group = await call(fake, 'GET', '/apis/example.com');
    expect(group.body).toMatchObject({
      kind: 'APIGroup',
      name: 'example.com',
      preferredVersion: { groupVersion: 'example.com/v1' },
    });
    expect((await call(fake, 'GET', '/apis/nope.io/v1')).status).toBe(404);
  });
});

describe('limits, auth, fault injection', () => {
  it('rejects bodies over 3 MiB with 413', async () => {
    const big = widget('big', { blob: 'x'.repeat(3 * 1024 * 1024) });
    const res = await call(fake, 'POST', WIDGETS, big);
    expectStatus(res.body, 413, 'RequestEntityTooLarge');
    expect(fake.get('example.com/v1', 'Widget', 'default', 'big')).toBeUndefined();
    const fits = widget('fits', { blob: 'x'.repeat(3 * 1024 * 1024 - 200) });
    expect((await call(fake, 'POST', WIDGETS, fits)).status).toBe(201);
  });

  it('answers 405 MethodNotAllowed for a verb the path does not take', async () => {
    expectStatus((await call(fake, 'POST', `${WIDGETS}/w`, widget('w'))).body, 405, 'MethodNotAllowed');
  });

  it('fails the next matching request once with failNext', async () => {
    fake.failNext('GET', /\/widgets$/, 503);
    const first = await call(fake, 'GET', WIDGETS);
    expectStatus(first.body, 503, 'ServiceUnavailable');
    expect((await call(fake, 'GET', WIDGETS)).status).toBe(200);
    fake.failNext('*', /widgets/, 429, { times: 2 });
    expect((await call(fake, 'POST', WIDGETS, widget('a'))).status).toBe(429);
    const second = await call(fake, 'GET', WIDGETS);
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('1');
    expect((await call(fake, 'GET', WIDGETS)).status).toBe(200);
    expect(fake.requests.map((r) => r.status).slice(-4)).toEqual([200, 429, 429, 200]);
  });

  it('writes a kubeconfig with the server, a static token and a current context', async () => {
    const config = parse(fake.kubeconfig());
    expect(config['current-context']).toBe('hubpo-fake');
    expect(config.clusters[0].cluster.server).toBe(fake.url);
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(typeof config.users[0].user.token).toBe('string');
    expect(await readFile(fake.kubeconfigPath, 'utf8')).toBe(fake.kubeconfig());
    const path = fake.kubeconfigPath;
    await fake.stop();
    await expect(stat(path)).rejects.toThrow();
  });
});

describe('bearer token', () => {
  it('answers 401 without the configured token and serves with it', async () => {
    const secured = await startFakeKube({ token: 's3cret' });
    try {
      const denied = await call(secured, 'GET', '/api/v1/namespaces');
      expect(denied.status).toBe(401);
      expect(denied.body.reason).toBe('Unauthorized');
      const allowed = await call(secured, 'GET', '/api/v1/namespaces', undefined, undefined, {
        authorization: 'Bearer s3cret',
      });
      expect(allowed.status).toBe(200);
      expect(parse(secured.kubeconfig()).users[0].user.token).toBe('s3cret');
    } finally {
      await secured.stop();
    }
  });
});
