import { startFakeKube, type FakeKube } from './fake-kube.js';
import { call, WIDGETS, widget, widgetCrd } from './testdata/kube-http.js';

let fake: FakeKube;
beforeEach(async () => {
  fake = await startFakeKube({ crds: [widgetCrd], namespaces: ['team-a'] });
  const objects: Array<[string, Record<string, string>]> = [
    ['a', { app: 'web', tier: 'front' }],
    ['b', { app: 'web', tier: 'back' }],
    ['c', { app: 'db' }],
    ['d', {}],
  ];
  for (const [name, labels] of objects)
    await call(fake, 'POST', WIDGETS, widget(name, undefined, { labels }));
  await call(
    fake,
    'POST',
    '/apis/example.com/v1/namespaces/team-a/widgets',
    widget('z', undefined, { labels: { app: 'web' } }),
  );
});
afterEach(() => fake.stop());

async function names(query: string, base = WIDGETS): Promise<string[]> {
  const res = await call(fake, 'GET', `${base}?${query}`);
  expect(res.status).toBe(200);
  return res.body.items.map((i: any) => i.metadata.name);
}

describe('list', () => {
  it('returns a typed list with the current resourceVersion, in name order', async () => {
    const res = await call(fake, 'GET', WIDGETS);
    expect(res.body).toMatchObject({
      apiVersion: 'example.com/v1',
      kind: 'WidgetList',
      metadata: { resourceVersion: fake.resourceVersion },
    });
    expect(res.body.items.map((i: any) => i.metadata.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('lists across namespaces on the cluster-wide path', async () => {
    expect(await names('', '/apis/example.com/v1/widgets')).toEqual(['a', 'b', 'c', 'd', 'z']);
  });

  it.each([
    ['app=web', ['a', 'b']],
    ['app==web', ['a', 'b']],
    ['app!=web', ['c', 'd']],
    ['app in (web,db)', ['a', 'b', 'c']],
    ['app notin (web)', ['c', 'd']],
    ['tier', ['a', 'b']],
    ['!tier', ['c', 'd']],
    ['app=web,tier=back', ['b']],
    ['app in (web), !tier', []],
  ])('filters by label selector %s', async (selector, expected) => {
    expect(await names(`labelSelector=${encodeURIComponent(selector)}`)).toEqual(expected);
  });

  it('answers 400 for a malformed label selector', async () => {
    const res = await call(fake, 'GET', `${WIDGETS}?labelSelector=${encodeURIComponent('app in web')}`);
    expect(res.status).toBe(400);
    expect(res.body.reason).toBe('BadRequest');
  });

  it('filters by metadata.name and metadata.namespace field selectors, and refuses other fields', async () => {
    expect(await names('fieldSelector=metadata.name%3Db')).toEqual(['b']);
    expect(await names('fieldSelector=metadata.name!%3Db')).toEqual(['a', 'c', 'd']);
    expect(await names('fieldSelector=metadata.namespace%3Dteam-a', '/apis/example.com/v1/widgets')).toEqual([
      'z',
    ]);
    const res = await call(fake, 'GET', `${WIDGETS}?fieldSelector=spec.size%3D1`);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('field label not supported');
  });

  it('pages with limit and continue, keeping the first page resourceVersion', async () => {
    const first = await call(fake, 'GET', `${WIDGETS}?limit=3`);
    expect(first.body.items.map((i: any) => i.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(first.body.metadata.remainingItemCount).toBe(1);
    const token = first.body.metadata.continue;
    expect(typeof token).toBe('string');
    await call(fake, 'POST', WIDGETS, widget('e'));
    const second = await call(fake, 'GET', `${WIDGETS}?limit=3&continue=${encodeURIComponent(token)}`);
    expect(second.body.items.map((i: any) => i.metadata.name)).toEqual(['d', 'e']);
    expect(second.body.metadata.continue).toBeUndefined();
    expect(second.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
  });

  it('pages through a selector', async () => {
    const first = await call(fake, 'GET', `${WIDGETS}?limit=1&labelSelector=app%3Dweb`);
    expect(first.body.items.map((i: any) => i.metadata.name)).toEqual(['a']);
    const second = await call(
      fake,
      'GET',
      `${WIDGETS}?limit=1&labelSelector=app%3Dweb&continue=${encodeURIComponent(first.body.metadata.continue)}`,
    );
    expect(second.body.items.map((i: any) => i.metadata.name)).toEqual(['b']);
  });

  it('answers 410 Expired for a continue token older than the retained history', async () => {
    const first = await call(fake, 'GET', `${WIDGETS}?limit=2`);
    await call(fake, 'POST', WIDGETS, widget('later'));
    const fresh = await call(
      fake,
      'GET',
      `${WIDGETS}?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`,
    );
    expect(fresh.status).toBe(200);
    fake.compactHistory();
    const res = await call(
      fake,
      'GET',
      `${WIDGETS}?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`,
    );
    expect(res.status).toBe(410);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });

  it('answers 400 for a garbage continue token', async () => {
    expect((await call(fake, 'GET', `${WIDGETS}?continue=garbage`)).status).toBe(400);
  });

  it('offers the same filters on the direct-access list', () => {
    expect(
      fake.list('example.com/v1', 'wd', undefined, { labelSelector: 'app=web' }).map((w) => w.metadata?.name),
    ).toEqual(['a', 'b', 'z']);
  });
});
