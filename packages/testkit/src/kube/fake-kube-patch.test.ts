import { startFakeKube, type FakeKube } from './fake-kube.js';
import { call, WIDGETS, widget, widgetCrd } from './testdata/kube-http.js';

let fake: FakeKube;
beforeEach(async () => {
  fake = await startFakeKube({ crds: [widgetCrd] });
  await call(
    fake,
    'POST',
    WIDGETS,
    widget('w', { size: 1, tags: ['a', 'b'], nested: { keep: true, drop: 1 } }),
  );
});
afterEach(() => fake.stop());

const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const APPLY = 'application/apply-patch+yaml';
const CM = '/api/v1/namespaces/default/configmaps';

describe('merge patch (RFC 7386)', () => {
  it('merges objects, replaces lists and removes nulls', async () => {
    const res = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      { spec: { size: 2, tags: ['c'], nested: { drop: null, added: 'x' } } },
      MERGE,
    );
    expect(res.status).toBe(200);
    expect(res.body.spec).toEqual({ size: 2, tags: ['c'], nested: { keep: true, added: 'x' } });
  });

  it('uses a resourceVersion in the patch as a precondition', async () => {
    const res = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      { metadata: { resourceVersion: '1' }, spec: { size: 9 } },
      MERGE,
    );
    expect(res.status).toBe(409);
    expect(res.body.reason).toBe('Conflict');
  });

  it('answers 404 for a missing object', async () => {
    expect((await call(fake, 'PATCH', `${WIDGETS}/none`, { spec: {} }, MERGE)).status).toBe(404);
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies add, replace, remove, move, copy and test', async () => {
    const ops = [
      { op: 'test', path: '/spec/size', value: 1 },
      { op: 'replace', path: '/spec/size', value: 4 },
      { op: 'add', path: '/spec/tags/-', value: 'z' },
      { op: 'remove', path: '/spec/nested/drop' },
      { op: 'copy', from: '/spec/size', path: '/spec/copied' },
      { op: 'move', from: '/spec/copied', path: '/spec/moved' },
      { op: 'add', path: '/metadata/labels', value: { 'app.kubernetes.io~1name': 'x' } },
    ];
    const res = await call(fake, 'PATCH', `${WIDGETS}/w`, ops, JSON_PATCH);
    expect(res.status).toBe(200);
    expect(res.body.spec).toEqual({ size: 4, tags: ['a', 'b', 'z'], nested: { keep: true }, moved: 4 });
  });

  it('answers 422 when a test fails and changes nothing', async () => {
    const before = fake.resourceVersion;
    const res = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      [
        { op: 'replace', path: '/spec/size', value: 5 },
        { op: 'test', path: '/spec/size', value: 1 },
      ],
      JSON_PATCH,
    );
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    expect(fake.resourceVersion).toBe(before);
  });

  it('answers 422 for a path that does not exist and 400 for a malformed patch', async () => {
    expect(
      (await call(fake, 'PATCH', `${WIDGETS}/w`, [{ op: 'remove', path: '/spec/nope' }], JSON_PATCH)).status,
    ).toBe(422);
    expect((await call(fake, 'PATCH', `${WIDGETS}/w`, { op: 'remove' }, JSON_PATCH)).status).toBe(400);
    expect(
      (await call(fake, 'PATCH', `${WIDGETS}/w`, [{ op: 'frobnicate', path: '/spec' }], JSON_PATCH)).status,
    ).toBe(400);
  });

  it('uses a resourceVersion test as an optimistic lock', async () => {
    const rv = fake.get('example.com/v1', 'Widget', 'default', 'w')?.metadata?.['resourceVersion'];
    const ok = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      [
        { op: 'test', path: '/metadata/resourceVersion', value: rv },
        { op: 'replace', path: '/spec/size', value: 2 },
      ],
      JSON_PATCH,
    );
    expect(ok.status).toBe(200);
    const stale = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      [
        { op: 'test', path: '/metadata/resourceVersion', value: rv },
        { op: 'replace', path: '/spec/size', value: 3 },
      ],
      JSON_PATCH,
    );
    expect(stale.status).toBe(422);
  });
});

describe('strategic merge patch', () => {
  it('is a merge patch on built-in types', async () => {
    await call(fake, 'POST', CM, { metadata: { name: 'c' }, data: { a: '1', b: '2' } });
    const res = await call(
      fake,
      'PATCH',
      `${CM}/c`,
      { data: { b: null, c: '3' } },
      'application/strategic-merge-patch+json',
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ a: '1', c: '3' });
  });

  it('is refused with 415 on custom resources, as on a real cluster', async () => {
    const res = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w`,
      { spec: { size: 2 } },
      'application/strategic-merge-patch+json',
    );
    expect(res.status).toBe(415);
    expect(res.body.reason).toBe('UnsupportedMediaType');
  });

  it('answers 415 for an unknown patch media type', async () => {
    expect((await call(fake, 'PATCH', `${WIDGETS}/w`, { spec: {} }, 'text/plain')).status).toBe(415);
  });
});

describe('server-side apply', () => {
  const applyPath = (name: string, manager: string, extra = '') =>
    `${WIDGETS}/${name}?fieldManager=${manager}${extra}`;

  it('creates an absent object from YAML (201) and records the manager', async () => {
    const yaml =
      'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: fresh\n  labels:\n    app: demo\nspec:\n  size: 3\n';
    const res = await call(fake, 'PATCH', applyPath('fresh', 'op'), yaml, APPLY);
    expect(res.status).toBe(201);
    expect(res.body.spec).toEqual({ size: 3 });
    expect(res.body.metadata.generation).toBe(1);
    const entry = res.body.metadata.managedFields.find((m: any) => m.manager === 'op');
    expect(entry).toMatchObject({ operation: 'Apply', apiVersion: 'example.com/v1', fieldsType: 'FieldsV1' });
    expect(entry.fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': { 'f:size': {} },
    });
  });

  it('accepts a JSON body (what client-node sends) and requires fieldManager', async () => {
    const body = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'j' }, spec: { size: 1 } };
    expect((await call(fake, 'PATCH', applyPath('j', 'op'), body, APPLY)).status).toBe(201);
    const missing = await call(fake, 'PATCH', `${WIDGETS}/j`, body, APPLY);
    expect(missing.status).toBe(400);
    expect(missing.body.reason).toBe('BadRequest');
  });

  it('updates what the manager applies and removes what it stops applying', async () => {
    const v1 = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 's' },
      spec: { size: 1, color: 'red' },
    };
    await call(fake, 'PATCH', applyPath('s', 'op'), v1, APPLY);
    const v2 = { ...v1, spec: { size: 2 } };
    const res = await call(fake, 'PATCH', applyPath('s', 'op'), v2, APPLY);
    expect(res.status).toBe(200);
    expect(res.body.spec).toEqual({ size: 2 });
    expect(res.body.metadata.generation).toBe(2);
  });

  it('keeps fields owned by other managers when merging', async () => {
    await call(
      fake,
      'PATCH',
      applyPath('s', 'a'),
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 's' }, spec: { size: 1 } },
      APPLY,
    );
    await call(
      fake,
      'PATCH',
      applyPath('s', 'b'),
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 's' }, spec: { color: 'blue' } },
      APPLY,
    );
    const res = await call(
      fake,
      'PATCH',
      applyPath('s', 'a'),
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 's' }, spec: { size: 5 } },
      APPLY,
    );
    expect(res.body.spec).toEqual({ size: 5, color: 'blue' });
    expect(res.body.metadata.managedFields.map((m: any) => m.manager).sort()).toEqual(['a', 'b']);
  });

  it('answers 409 when another manager owns a field with a different value, and force takes it over', async () => {
    const base = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 's' } };
    await call(fake, 'PATCH', applyPath('s', 'owner'), { ...base, spec: { size: 1 } }, APPLY);
    const sameValue = await call(
      fake,
      'PATCH',
      applyPath('s', 'other'),
      { ...base, spec: { size: 1 } },
      APPLY,
    );
    expect(sameValue.status).toBe(200);
    const conflict = await call(
      fake,
      'PATCH',
      applyPath('s', 'intruder'),
      { ...base, spec: { size: 2 } },
      APPLY,
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
    expect(conflict.body.message).toContain('Apply failed with');
    expect(conflict.body.details.causes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'FieldManagerConflict',
          field: '.spec.size',
          message: expect.stringContaining('"owner"'),
        }),
      ]),
    );
    expect(fake.get('example.com/v1', 'Widget', 'default', 's')?.['spec']).toEqual({ size: 1 });
    const forced = await call(
      fake,
      'PATCH',
      applyPath('s', 'intruder', '&force=true'),
      { ...base, spec: { size: 2 } },
      APPLY,
    );
    expect(forced.status).toBe(200);
    expect(forced.body.spec).toEqual({ size: 2 });
    const owners = forced.body.metadata.managedFields
      .filter((m: any) => JSON.stringify(m.fieldsV1).includes('f:size'))
      .map((m: any) => m.manager);
    expect(owners).toEqual(['intruder']);
  });

  it('conflicts with fields set by an update (PUT/PATCH) manager too', async () => {
    await call(fake, 'PATCH', `${WIDGETS}/w?fieldManager=kubectl-edit`, { spec: { size: 7 } }, MERGE);
    const res = await call(
      fake,
      'PATCH',
      applyPath('w', 'op'),
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 8 } },
      APPLY,
    );
    expect(res.status).toBe(409);
    expect(res.body.details.causes[0].message).toContain('kubectl-edit');
  });

  it('applies status through /status only', async () => {
    const base = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    const res = await call(
      fake,
      'PATCH',
      `${WIDGETS}/w/status?fieldManager=op`,
      { ...base, spec: { size: 99 }, status: { phase: 'Ready' } },
      APPLY,
    );
    expect(res.status).toBe(200);
    expect(res.body.status).toEqual({ phase: 'Ready' });
    expect(res.body.spec.size).toBe(1);
    expect(res.body.metadata.generation).toBe(1);
    const entry = res.body.metadata.managedFields.find((m: any) => m.manager === 'op');
    expect(entry).toMatchObject({ operation: 'Apply', subresource: 'status' });
    const main = await call(
      fake,
      'PATCH',
      applyPath('w', 'op2'),
      { ...base, status: { phase: 'Ignored' } },
      APPLY,
    );
    expect(main.body.status).toEqual({ phase: 'Ready' });
  });

  it('does not create an absent object through /status', async () => {
    const body = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'ghost' },
      status: { phase: 'x' },
    };
    const res = await call(fake, 'PATCH', `${WIDGETS}/ghost/status?fieldManager=op`, body, APPLY);
    expect(res.status).toBe(404);
    expect(fake.get('example.com/v1', 'Widget', 'default', 'ghost')).toBeUndefined();
  });

  it('lets several managers own distinct finalizers', async () => {
    const base = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    await call(
      fake,
      'PATCH',
      applyPath('w', 'a'),
      { ...base, metadata: { name: 'w', finalizers: ['a.example.com/f'] } },
      APPLY,
    );
    const res = await call(
      fake,
      'PATCH',
      applyPath('w', 'b'),
      { ...base, metadata: { name: 'w', finalizers: ['b.example.com/f'] } },
      APPLY,
    );
    expect(res.status).toBe(200);
    expect(res.body.metadata.finalizers).toEqual(['a.example.com/f', 'b.example.com/f']);
    const removed = await call(
      fake,
      'PATCH',
      applyPath('w', 'a'),
      { ...base, metadata: { name: 'w', finalizers: [] } },
      APPLY,
    );
    expect(removed.body.metadata.finalizers).toEqual(['b.example.com/f']);
  });

  it('creates an absent object only in an existing namespace', async () => {
    const res = await call(
      fake,
      'PATCH',
      '/apis/example.com/v1/namespaces/nope/widgets/x?fieldManager=op',
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' } },
      APPLY,
    );
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('namespaces "nope" not found');
  });

  it('does not write when the same configuration is applied again', async () => {
    const body = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'same' },
      spec: { size: 1 },
    };
    const first = await call(fake, 'PATCH', applyPath('same', 'op'), body, APPLY);
    const second = await call(fake, 'PATCH', applyPath('same', 'op'), body, APPLY);
    expect(second.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
  });

  it('rejects force on non-apply patches', async () => {
    expect((await call(fake, 'PATCH', `${WIDGETS}/w?force=true`, { spec: {} }, MERGE)).status).toBe(400);
  });
});
