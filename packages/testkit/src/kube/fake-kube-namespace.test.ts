import { startFakeKube, type FakeKube } from './fake-kube.js';
import { call, openWatch, widget, widgetCrd } from './testdata/kube-http.js';

let fake: FakeKube;
beforeEach(async () => {
  fake = await startFakeKube({ crds: [widgetCrd], namespaces: ['shop', 'other'] });
});
afterEach(() => fake.stop());

const MERGE = 'application/merge-patch+json';
const widgets = (ns: string) => `/apis/example.com/v1/namespaces/${ns}/widgets`;
const namespaceWatch = () =>
  openWatch(fake, `/api/v1/namespaces?watch=true&resourceVersion=${fake.resourceVersion}`);

describe('deleting a namespace', () => {
  it('answers the namespace as Terminating, deletes its content, then the namespace itself', async () => {
    await call(fake, 'POST', widgets('shop'), widget('a'));
    await call(fake, 'POST', '/api/v1/namespaces/shop/secrets', { metadata: { name: 's' } });
    await call(fake, 'POST', widgets('other'), widget('kept'));
    const watch = await namespaceWatch();

    const res = await call(fake, 'DELETE', '/api/v1/namespaces/shop');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      kind: 'Namespace',
      metadata: { name: 'shop', deletionTimestamp: expect.any(String) },
      status: { phase: 'Terminating' },
    });
    expect((await watch.next()).type).toBe('MODIFIED');
    const gone = await watch.nextMatching((e) => e.type === 'DELETED');
    expect(gone.object.metadata.name).toBe('shop');
    watch.close();

    expect((await call(fake, 'GET', '/api/v1/namespaces/shop')).status).toBe(404);
    expect(fake.list('example.com/v1', 'Widget', 'shop')).toEqual([]);
    expect(fake.list('v1', 'Secret', 'shop')).toEqual([]);
    expect(fake.get('example.com/v1', 'Widget', 'other', 'kept')).toBeDefined();
  });

  it('waits for objects with finalizers, which are only marked, and reports what remains', async () => {
    await call(
      fake,
      'POST',
      widgets('shop'),
      widget('held', undefined, { finalizers: ['example.com/cleanup'] }),
    );
    await call(fake, 'POST', widgets('shop'), widget('free'));
    const watch = await namespaceWatch();
    await call(fake, 'DELETE', '/api/v1/namespaces/shop');

    const reported = await watch.nextMatching(
      (e) => e.type === 'MODIFIED' && e.object.status.conditions !== undefined,
    );
    expect(reported.object.status.phase).toBe('Terminating');
    expect(reported.object.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'NamespaceContentRemaining',
          status: 'True',
          reason: 'SomeResourcesRemain',
          message: 'Some resources are remaining: widgets.example.com has 1 resource instances',
        }),
        expect.objectContaining({
          type: 'NamespaceFinalizersRemaining',
          status: 'True',
          reason: 'SomeFinalizersRemain',
          message:
            'Some content in the namespace has finalizers remaining: example.com/cleanup in 1 resource instances',
        }),
      ]),
    );
    const held = (await call(fake, 'GET', `${widgets('shop')}/held`)).body;
    expect(held.metadata.deletionTimestamp).toEqual(expect.any(String));
    expect((await call(fake, 'GET', `${widgets('shop')}/free`)).status).toBe(404);
    expect((await call(fake, 'GET', '/api/v1/namespaces/shop')).body.status.phase).toBe('Terminating');

    // A controller removes its finalizer: the object goes, and with it the namespace.
    await call(fake, 'PATCH', `${widgets('shop')}/held`, { metadata: { finalizers: null } }, MERGE);
    const gone = await watch.nextMatching((e) => e.type === 'DELETED');
    expect(gone.object.metadata.name).toBe('shop');
    watch.close();
    expect((await call(fake, 'GET', `${widgets('shop')}/held`)).status).toBe(404);
  });

  it('refuses new content while terminating, and answers a repeated delete with the namespace', async () => {
    await call(
      fake,
      'POST',
      widgets('shop'),
      widget('held', undefined, { finalizers: ['example.com/cleanup'] }),
    );
    const first = await call(fake, 'DELETE', '/api/v1/namespaces/shop');
    const created = await call(fake, 'POST', widgets('shop'), widget('late'));
    expect(created.status).toBe(403);
    expect(created.body).toMatchObject({
      reason: 'Forbidden',
      message: expect.stringContaining(
        'unable to create new content in namespace shop because it is being terminated',
      ),
      details: { causes: [expect.objectContaining({ type: 'NamespaceTerminating' })] },
    });
    const again = await call(fake, 'DELETE', '/api/v1/namespaces/shop');
    expect(again.status).toBe(200);
    expect(again.body.metadata.deletionTimestamp).toBe(first.body.metadata.deletionTimestamp);
  });

  it('keeps a namespace with metadata finalizers until they are removed, after its content', async () => {
    await call(fake, 'POST', '/api/v1/namespaces', {
      metadata: { name: 'team', finalizers: ['example.com/keep'] },
    });
    await call(fake, 'POST', widgets('team'), widget('w'));
    const watch = await namespaceWatch();
    await call(fake, 'DELETE', '/api/v1/namespaces/team');
    const emptied = await watch.nextMatching(
      (e) => e.type === 'MODIFIED' && e.object.spec.finalizers.length === 0,
    );
    expect(emptied.object.metadata.finalizers).toEqual(['example.com/keep']);
    expect(fake.list('example.com/v1', 'Widget', 'team')).toEqual([]);

    await call(fake, 'PATCH', '/api/v1/namespaces/team', { metadata: { finalizers: null } }, MERGE);
    expect((await watch.nextMatching((e) => e.type === 'DELETED')).object.metadata.name).toBe('team');
    watch.close();
  });

  it('does nothing with dryRun=All, and refuses to delete default', async () => {
    await call(fake, 'POST', widgets('shop'), widget('a'));
    const dry = await call(fake, 'DELETE', '/api/v1/namespaces/shop?dryRun=All');
    expect(dry.status).toBe(200);
    expect(dry.body.status.phase).toBe('Terminating');
    expect((await call(fake, 'GET', '/api/v1/namespaces/shop')).body.status.phase).toBe('Active');
    expect(fake.get('example.com/v1', 'Widget', 'shop', 'a')).toBeDefined();

    const refused = await call(fake, 'DELETE', '/api/v1/namespaces/default');
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('this namespace may not be deleted');
  });
});
