import { startFakeKube, type FakeKube } from './fake-kube.js';
import { call, openWatch, WIDGETS, widget, widgetCrd } from './testdata/kube-http.js';

let fake: FakeKube;
beforeEach(async () => {
  fake = await startFakeKube({ crds: [widgetCrd] });
});
afterEach(() => fake.stop());

const MERGE = 'application/merge-patch+json';

describe('delete', () => {
  it('removes an object without finalizers at once and answers a Success Status', async () => {
    const created = (await call(fake, 'POST', WIDGETS, widget('w'))).body;
    const res = await call(fake, 'DELETE', `${WIDGETS}/w`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'w', group: 'example.com', kind: 'widgets', uid: created.metadata.uid },
    });
    expect((await call(fake, 'GET', `${WIDGETS}/w`)).status).toBe(404);
    expect((await call(fake, 'DELETE', `${WIDGETS}/w`)).status).toBe(404);
  });

  it('honours uid and resourceVersion preconditions', async () => {
    await call(fake, 'POST', WIDGETS, widget('w'));
    const res = await call(fake, 'DELETE', `${WIDGETS}/w`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      preconditions: { resourceVersion: '1' },
    });
    expect(res.status).toBe(409);
    expect(res.body.reason).toBe('Conflict');
    expect(fake.get('example.com/v1', 'Widget', 'default', 'w')).toBeDefined();
  });

  it('does nothing with dryRun=All', async () => {
    await call(fake, 'POST', WIDGETS, widget('w'));
    expect((await call(fake, 'DELETE', `${WIDGETS}/w?dryRun=All`)).status).toBe(200);
    expect(fake.get('example.com/v1', 'Widget', 'default', 'w')).toBeDefined();
  });

  it('deletes a collection by label selector', async () => {
    await call(fake, 'POST', WIDGETS, widget('a', undefined, { labels: { team: 'x' } }));
    await call(fake, 'POST', WIDGETS, widget('b', undefined, { labels: { team: 'y' } }));
    const res = await call(fake, 'DELETE', `${WIDGETS}?labelSelector=team%3Dx`);
    expect(res.body.items.map((i: any) => i.metadata.name)).toEqual(['a']);
    expect(fake.list('example.com/v1', 'Widget', 'default').map((w) => w.metadata?.name)).toEqual(['b']);
  });
});

describe('finalizers', () => {
  it('marks, waits for the finalizers to go, then removes (MODIFIED then DELETED)', async () => {
    await call(
      fake,
      'POST',
      WIDGETS,
      widget('w', undefined, { finalizers: ['example.com/cleanup', 'example.com/other'] }),
    );
    const watch = await openWatch(fake, `${WIDGETS}?watch=true&resourceVersion=${fake.resourceVersion}`);
    const del = await call(fake, 'DELETE', `${WIDGETS}/w`);
    expect(del.status).toBe(200);
    expect(del.body.metadata.deletionTimestamp).toEqual(expect.any(String));
    expect(del.body.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(del.body.metadata.generation).toBe(2);
    const marked = await watch.next();
    expect(marked.type).toBe('MODIFIED');
    expect(marked.object.metadata.deletionTimestamp).toBe(del.body.metadata.deletionTimestamp);

    const again = await call(fake, 'DELETE', `${WIDGETS}/w`);
    expect(again.body.metadata.resourceVersion).toBe(del.body.metadata.resourceVersion);

    const one = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      { metadata: { finalizers: ['example.com/other'] } },
      MERGE,
    );
    expect(one.body.metadata.finalizers).toEqual(['example.com/other']);
    expect((await watch.next()).type).toBe('MODIFIED');

    const current = (await call(fake, 'GET', `${WIDGETS}/w`)).body;
    const last = await call(fake, 'PUT', `${WIDGETS}/w`, {
      ...current,
      metadata: { ...current.metadata, finalizers: [] },
    });
    expect(last.status).toBe(200);
    const deleted = await watch.next();
    expect(deleted.type).toBe('DELETED');
    expect(Number(deleted.object.metadata.resourceVersion)).toBeGreaterThan(
      Number(current.metadata.resourceVersion),
    );
    expect((await call(fake, 'GET', `${WIDGETS}/w`)).status).toBe(404);
    watch.close();
  });

  it('refuses new finalizers on an object being deleted, and ignores deletionTimestamp from clients', async () => {
    await call(fake, 'POST', WIDGETS, widget('w', undefined, { finalizers: ['a'] }));
    await call(fake, 'DELETE', `${WIDGETS}/w`);
    const res = await call(fake, 'PATCH', `${WIDGETS}/w`, { metadata: { finalizers: ['a', 'b'] } }, MERGE);
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.details.causes[0].field).toBe('metadata.finalizers');
    const cleared = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      { metadata: { deletionTimestamp: null } },
      MERGE,
    );
    expect(cleared.body.metadata.deletionTimestamp).toEqual(expect.any(String));
  });

  it('allows spec and status writes while terminating', async () => {
    await call(fake, 'POST', WIDGETS, widget('w', undefined, { finalizers: ['a'] }));
    await call(fake, 'DELETE', `${WIDGETS}/w`);
    const res = await call(fake, 'PATCH', `${WIDGETS}/w/status`, { status: { phase: 'Deleting' } }, MERGE);
    expect(res.status).toBe(200);
    expect(res.body.status).toEqual({ phase: 'Deleting' });
  });

  it('ignores a client-set deletionTimestamp on create', async () => {
    const res = await call(
      fake,
      'POST',
      WIDGETS,
      widget('w', undefined, { deletionTimestamp: '2020-01-01T00:00:00Z' }),
    );
    expect(res.body.metadata.deletionTimestamp).toBeUndefined();
  });
});

describe('garbage collection', () => {
  it('deletes dependents once their owner is gone', async () => {
    const owner = (await call(fake, 'POST', WIDGETS, widget('owner'))).body;
    const ownerRef = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      name: 'owner',
      uid: owner.metadata.uid,
      controller: true,
    };
    await call(fake, 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'child', ownerReferences: [ownerRef] },
    });
    await call(fake, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'unrelated' } });
    await call(fake, 'DELETE', `${WIDGETS}/owner`);
    const deadline = Date.now() + 2000;
    while (fake.get('v1', 'ConfigMap', 'default', 'child') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    expect(fake.get('v1', 'ConfigMap', 'default', 'child')).toBeUndefined();
    expect(fake.get('v1', 'ConfigMap', 'default', 'unrelated')).toBeDefined();
  });
});
