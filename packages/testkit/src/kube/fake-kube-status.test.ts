import { startFakeKube, type FakeKube } from './fake-kube.js';
import { call, WIDGETS, widget, widgetCrd } from './testdata/kube-http.js';

let fake: FakeKube;
beforeEach(async () => {
  fake = await startFakeKube({
    crds: [
      widgetCrd,
      {
        group: 'example.com',
        version: 'v1',
        kind: 'Plain',
        plural: 'plains',
        namespaced: true,
        statusSubresource: false,
      },
    ],
  });
});
afterEach(() => fake.stop());

const PLAINS = '/apis/example.com/v1/namespaces/default/plains';

describe('status subresource', () => {
  it('drops status on create', async () => {
    const res = await call(fake, 'POST', WIDGETS, { ...widget('w'), status: { ready: true } });
    expect(res.body.status).toBeUndefined();
  });

  it('ignores status in writes to the main resource', async () => {
    const created = (await call(fake, 'POST', WIDGETS, widget('w'))).body;
    await call(fake, 'PUT', `${WIDGETS}/w/status`, { ...created, status: { phase: 'Ready' } });
    const current = (await call(fake, 'GET', `${WIDGETS}/w`)).body;
    const res = await call(fake, 'PUT', `${WIDGETS}/w`, {
      ...current,
      spec: { size: 2 },
      status: { phase: 'Hacked' },
    });
    expect(res.body.spec).toEqual({ size: 2 });
    expect(res.body.status).toEqual({ phase: 'Ready' });
    const merged = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      { status: { phase: 'Hacked' } },
      'application/merge-patch+json',
    );
    expect(merged.body.status).toEqual({ phase: 'Ready' });
  });

  it('changes only status through /status, without bumping generation', async () => {
    const created = (await call(fake, 'POST', WIDGETS, widget('w', { size: 1 }))).body;
    const res = await call(fake, 'PUT', `${WIDGETS}/w/status`, {
      ...created,
      metadata: { ...created.metadata, labels: { sneaky: 'yes' } },
      spec: { size: 100 },
      status: { observedGeneration: 1, phase: 'Ready' },
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toEqual({ observedGeneration: 1, phase: 'Ready' });
    expect(res.body.spec).toEqual({ size: 1 });
    expect(res.body.metadata.labels).toBeUndefined();
    expect(res.body.metadata.generation).toBe(1);
    expect(Number(res.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
  });

  it('applies optimistic concurrency to /status too', async () => {
    const created = (await call(fake, 'POST', WIDGETS, widget('w'))).body;
    await call(fake, 'PUT', `${WIDGETS}/w`, { ...created, spec: { size: 2 } });
    const stale = await call(fake, 'PUT', `${WIDGETS}/w/status`, { ...created, status: { phase: 'x' } });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
  });

  it('patches status through /status with a merge patch', async () => {
    await call(fake, 'POST', WIDGETS, widget('w'));
    const res = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w/status`,
      { status: { phase: 'Ready' }, spec: { size: 7 } },
      'application/merge-patch+json',
    );
    expect(res.body.status).toEqual({ phase: 'Ready' });
    expect(res.body.spec).toEqual({ size: 1 });
  });

  it('has no /status on a type without the subresource', async () => {
    await call(fake, 'POST', PLAINS, {
      apiVersion: 'example.com/v1',
      kind: 'Plain',
      metadata: { name: 'p' },
      spec: {},
    });
    expect((await call(fake, 'GET', `${PLAINS}/p/status`)).status).toBe(404);
  });
});

describe('generation', () => {
  it('increments when spec changes and not for metadata-only changes', async () => {
    const created = (await call(fake, 'POST', WIDGETS, widget('w', { size: 1 }))).body;
    const labelled = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      { metadata: { labels: { a: 'b' }, annotations: { x: 'y' } } },
      'application/merge-patch+json',
    );
    expect(labelled.body.metadata.generation).toBe(1);
    expect(labelled.body.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
    const spec = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      { spec: { size: 2 } },
      'application/merge-patch+json',
    );
    expect(spec.body.metadata.generation).toBe(2);
    const sameSpec = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      { spec: { size: 2 } },
      'application/merge-patch+json',
    );
    expect(sameSpec.body.metadata.generation).toBe(2);
  });

  it('increments for any change outside metadata and status (not only spec)', async () => {
    await call(fake, 'POST', WIDGETS, widget('w'));
    const res = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      { data: { extra: 1 } },
      'application/merge-patch+json',
    );
    expect(res.body.metadata.generation).toBe(2);
  });

  it('without a status subresource, status is ordinary content and bumps generation', async () => {
    const created = await call(fake, 'POST', PLAINS, {
      apiVersion: 'example.com/v1',
      kind: 'Plain',
      metadata: { name: 'p' },
      spec: {},
      status: { a: 1 },
    });
    expect(created.body.status).toEqual({ a: 1 });
    const res = await call(
      fake,
      'PATCH',
      `${PLAINS}/p`,
      { status: { a: 2 } },
      'application/merge-patch+json',
    );
    expect(res.body.status).toEqual({ a: 2 });
    expect(res.body.metadata.generation).toBe(2);
  });

  it('fake.apply writes status directly (test set-up) and still follows the generation rule', () => {
    fake.apply({ ...widget('w', { size: 1 }), status: { phase: 'Seeded' } });
    expect(fake.get('example.com/v1', 'widgets', 'default', 'w')).toMatchObject({
      status: { phase: 'Seeded' },
      metadata: { generation: 1 },
    });
    const updated = fake.apply({ ...widget('w', { size: 2 }), status: { phase: 'Seeded' } });
    expect(updated.metadata?.['generation']).toBe(2);
  });
});
