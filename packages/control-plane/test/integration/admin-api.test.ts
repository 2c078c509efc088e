import { KINDS } from '@hubpo/api';
import {
  aiModel,
  consumer,
  policy,
  promptTemplate,
  route,
  startHarness,
  startTestPostgres,
  stopTestPostgres,
} from './harness.js';
import type { Harness } from './harness.js';

jest.setTimeout(60_000);

let h: Harness;
beforeAll(startTestPostgres);
afterAll(stopTestPostgres);
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.stop();
});

const revision = async (): Promise<number> => (await h.api('GET', '/api/v1/config')).body.revision as number;

const fixtures = [
  ['routes', () => route('orders'), { spec: { hostnames: ['shop.example.com'] } }],
  ['aimodels', () => aiModel('chat'), { spec: { strategy: 'Weighted' } }],
  ['prompttemplates', () => promptTemplate('summary'), { spec: { parameters: { temperature: 0.2 } } }],
  ['consumers', () => consumer('mobile'), { spec: { displayName: 'Mobile app' } }],
  ['policies', () => policy('limits', 'orders'), { spec: { rateLimit: { requests: 5, per: 'minute' } } }],
] as const;

describe('admin API CRUD', () => {
  it.each(fixtures)('creates, reads, replaces, patches and deletes %s', async (plural, make, patch) => {
    const base = `/api/v1/namespaces/shop/${plural}`;
    const created = await h.api('POST', base, make());
    expect(created.status).toBe(201);
    const name = created.body.metadata.name as string;
    expect(created.headers.get('location')).toBe(`${base}/${name}`);
    expect(created.body.metadata).toMatchObject({ namespace: 'shop', generation: 1 });
    expect(created.headers.get('etag')).toBe(`"${created.body.metadata.resourceVersion}"`);

    const read = await h.api('GET', `${base}/${name}`);
    expect(read.status).toBe(200);
    expect(read.body.spec).toEqual(created.body.spec);

    const replaced = await h.api('PUT', `${base}/${name}`, {
      ...read.body,
      metadata: { ...read.body.metadata, labels: { tier: 'gold' } },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.metadata.labels).toEqual({ tier: 'gold' });
    expect(replaced.body.metadata.generation).toBe(1); // labels only: the spec did not change

    const patched = await h.api('PATCH', `${base}/${name}`, patch);
    expect(patched.status).toBe(200);
    expect(patched.body.metadata.generation).toBe(2);
    expect(patched.body.metadata.labels).toEqual({ tier: 'gold' });
    expect(patched.body.spec).toMatchObject(patch.spec);

    const status = await h.api('GET', `${base}/${name}/status`);
    expect(status.status).toBe(200);
    expect(status.body.metadata.generation).toBe(2);

    const deleted = await h.api('DELETE', `${base}/${name}`);
    expect(deleted.status).toBe(200);
    expect((await h.api('GET', `${base}/${name}`)).status).toBe(404);
    expect((await h.query('select 1 from resources where name = $1', [name])).length).toBe(0);
  });

  it('rejects a duplicate create with 409 AlreadyExists', async () => {
    expect((await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'))).status).toBe(201);
    const again = await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('HUBPO_ERR_ALREADY_EXISTS');
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers unknown types and objects with problem+json 404', async () => {
    const unknownType = await h.api('GET', '/api/v1/namespaces/shop/widgets');
    expect(unknownType.status).toBe(404);
    expect(unknownType.body).toMatchObject({ status: 404, code: 'HUBPO_ERR_NOT_FOUND' });
    expect((await h.api('GET', '/api/v1/namespaces/shop/routes/nope')).status).toBe(404);
    expect((await h.api('DELETE', '/api/v1/namespaces/shop/routes/nope')).status).toBe(404);
  });
});

describe('lists', () => {
  it('pages with limit and continue, across namespaces, stable under concurrent writes', async () => {
    for (const ns of ['a', 'b']) {
      for (let i = 0; i < 5; i++)
        expect((await h.api('POST', `/api/v1/namespaces/${ns}/routes`, route(`r${i}`))).status).toBe(201);
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await h.api(
        'GET',
        `/api/v1/routes?limit=3${token === undefined ? '' : `&continue=${token}`}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.kind).toBe('RouteList');
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(
        ...page.body.items.map(
          (r: { metadata: { namespace: string; name: string } }) =>
            `${r.metadata.namespace}/${r.metadata.name}`,
        ),
      );
      token = page.body.metadata.continue;
      pages += 1;
      if (pages === 1) {
        // Writes between pages: one before the cursor, one after; neither shifts the pages.
        await h.api('POST', '/api/v1/namespaces/a/routes', route('a0'));
        await h.api('DELETE', '/api/v1/namespaces/b/routes/r4');
        await h.api('POST', '/api/v1/namespaces/b/routes', route('r9'));
      }
    } while (token !== undefined);
    expect(seen.slice(0, 3)).toEqual(['a/r0', 'a/r1', 'a/r2']);
    expect(seen).toEqual(['a/r0', 'a/r1', 'a/r2', 'a/r3', 'a/r4', 'b/r0', 'b/r1', 'b/r2', 'b/r3', 'b/r9']);

    const oneNamespace = await h.api('GET', '/api/v1/namespaces/b/routes');
    expect(oneNamespace.body.items.map((r: { metadata: { name: string } }) => r.metadata.name)).toEqual([
      'r0',
      'r1',
      'r2',
      'r3',
      'r9',
    ]);
    expect(oneNamespace.body.metadata.continue).toBeUndefined();
  });

  it('filters by labelSelector and validates limit and continue', async () => {
    await h.api('POST', '/api/v1/namespaces/a/routes', route('gold', {}, { labels: { tier: 'gold' } }));
    await h.api('POST', '/api/v1/namespaces/a/routes', route('free', {}, { labels: { tier: 'free' } }));
    await h.api('POST', '/api/v1/namespaces/a/routes', route('plain'));
    const names = async (selector: string) =>
      (
        await h.api('GET', `/api/v1/namespaces/a/routes?labelSelector=${encodeURIComponent(selector)}`)
      ).body.items.map((r: { metadata: { name: string } }) => r.metadata.name);
    expect(await names('tier=gold')).toEqual(['gold']);
    expect(await names('tier!=gold')).toEqual(['free', 'plain']);
    expect(await names('tier')).toEqual(['free', 'gold']);
    expect(await names('!tier')).toEqual(['plain']);
    for (const bad of [
      'limit=0',
      'limit=1001',
      'limit=x',
      'continue=garbage',
      'labelSelector=tier%20in%20(a)',
    ]) {
      const res = await h.api('GET', `/api/v1/namespaces/a/routes?${bad}`);
      expect(res.status).toBe(400);
    }
    const first = await h.api('GET', '/api/v1/namespaces/a/routes?limit=1&labelSelector=tier');
    const reused = await h.api(
      'GET',
      `/api/v1/namespaces/a/routes?limit=1&continue=${first.body.metadata.continue}`,
    );
    expect(reused.status).toBe(400);
    expect(reused.body.issues[0].path).toBe('continue');
  });
});

describe('optimistic concurrency', () => {
  it('returns ETags and honours If-Match and metadata.resourceVersion', async () => {
    const created = await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    const etag = created.headers.get('etag') ?? '';
    const path = '/api/v1/namespaces/shop/routes/orders';
    const stale = await h.api(
      'PATCH',
      path,
      { spec: { hostnames: ['x.example.com'] } },
      { 'if-match': '"999"' },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('HUBPO_ERR_PRECONDITION_FAILED');
    const ok = await h.api('PATCH', path, { spec: { hostnames: ['x.example.com'] } }, { 'if-match': etag });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).not.toBe(etag);

    const putStale = await h.api('PUT', path, created.body);
    expect(putStale.status).toBe(409);
    expect(putStale.body.code).toBe('HUBPO_ERR_CONFLICT');
    expect((await h.api('DELETE', path, undefined, { 'if-match': etag })).status).toBe(412);
    expect((await h.api('PUT', path, ok.body, { 'if-match': ok.headers.get('etag') ?? '' })).status).toBe(
      200,
    );
  });
});

describe('errors', () => {
  it('requires the bearer token everywhere except the health probes and metrics', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/routes'],
      ['GET', '/api/v1/gateways'],
      ['GET', '/openapi.json'],
      ['GET', '/api/v1/nothing-here'],
    ]) {
      const res = await h.api(method ?? 'GET', path ?? '/', undefined, { authorization: '' });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('HUBPO_ERR_UNAUTHENTICATED');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const anonymousWrite = await h.api('POST', '/api/v1/namespaces/shop/routes', route('x'), {
      authorization: 'Bearer wrong',
    });
    expect(anonymousWrite.status).toBe(401);
    expect(await h.query('select 1 from resources')).toHaveLength(0);
    expect((await h.api('GET', '/healthz', undefined, { authorization: '' })).status).toBe(200);
    // Prometheus scrapes without credentials; metrics carry no secrets.
    const metrics = await fetch(`${h.cp.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('target_info');
    expect((await h.api('GET', '/readyz', undefined, { authorization: '' })).body).toEqual({
      status: 'ready',
    });
  });

  it('rejects an invalid resource with 422 naming each field, writing nothing', async () => {
    const before = await revision();
    const bad = route('orders', {
      rules: [{ backends: [{ url: 'ftp://nope' }], timeouts: { request: 'soon' } }],
    });
    const res = await h.api('POST', '/api/v1/namespaces/shop/routes', bad);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 422,
      code: 'HUBPO_ERR_VALIDATION',
      title: expect.any(String),
      type: expect.any(String),
    });
    const paths = res.body.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/spec/rules/0/backends/0/url', '/spec/rules/0/timeouts/request']),
    );
    expect(await h.query('select 1 from resources')).toHaveLength(0);
    expect(await revision()).toBe(before);

    const mismatch = await h.api('POST', '/api/v1/namespaces/shop/routes', { ...route('x'), kind: 'Policy' });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.issues[0].path).toBe('/kind');
    const otherNs = await h.api(
      'POST',
      '/api/v1/namespaces/shop/routes',
      route('x', {}, { namespace: 'other' }),
    );
    expect(otherNs.body.issues[0].path).toBe('/metadata/namespace');
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('x'));
    const rename = await h.api('PUT', '/api/v1/namespaces/shop/routes/x', route('y'));
    expect(rename.status).toBe(422);
    expect(rename.body.issues[0].path).toBe('/metadata/name');
  });

  it('answers 413 above 1 MiB, 415 for other media types and 400 for malformed JSON', async () => {
    const huge = route('big', { hostnames: Array.from({ length: 60_000 }, (_, i) => `h${i}.example.com`) });
    expect((await h.api('POST', '/api/v1/namespaces/shop/routes', huge)).status).toBe(413);
    const text = await h.api('POST', '/api/v1/namespaces/shop/routes', 'name=x', {
      'content-type': 'text/plain',
    });
    expect(text.status).toBe(415);
    expect(text.body.code).toBe('HUBPO_ERR_UNSUPPORTED_MEDIA_TYPE');
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    const jsonPatch = await h.api('PATCH', '/api/v1/namespaces/shop/routes/orders', '[]', {
      'content-type': 'application/json-patch+json',
    });
    expect(jsonPatch.status).toBe(415);
    const plainJsonPatch = await h.api(
      'PATCH',
      '/api/v1/namespaces/shop/routes/orders',
      { metadata: { labels: { a: 'b' } } },
      { 'content-type': 'application/json' },
    );
    expect(plainJsonPatch.status).toBe(200);
    const malformed = await h.api('POST', '/api/v1/namespaces/shop/routes', '{"kind": "Route",');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('HUBPO_ERR_BAD_REQUEST');
    expect(JSON.stringify(malformed.body)).not.toMatch(/at .*\.(js|ts)|SyntaxError/);
  });
});

describe('secrets', () => {
  it('stores API keys as SHA-256 only and never returns or logs them', async () => {
    const key = 'hk_mobile_super_secret_value_42';
    const created = await h.api(
      'POST',
      '/api/v1/namespaces/shop/consumers',
      consumer('mobile', { apiKeys: [{ name: 'main', value: key }] }),
    );
    expect(created.status).toBe(201);
    expect(created.body.spec.apiKeys).toEqual([
      { name: 'main', sha256: expect.stringMatching(/^[a-f0-9]{64}$/) },
    ]);
    const all = [
      created,
      await h.api('GET', '/api/v1/namespaces/shop/consumers/mobile'),
      await h.api('GET', '/api/v1/consumers'),
      await h.api('PATCH', '/api/v1/namespaces/shop/consumers/mobile', { spec: { displayName: 'x' } }),
    ];
    for (const res of all) expect(JSON.stringify(res.body)).not.toContain(key);
    const stored = await h.query<{ spec: unknown }>('select spec from resources');
    expect(JSON.stringify(stored)).not.toContain(key);
    await h.cp.flush();
    const snapshots = await h.query<{ objects: unknown }>('select objects from snapshots');
    expect(JSON.stringify(snapshots)).not.toContain(key);
    expect(h.logs.text()).not.toContain(key);
    expect(h.logs.text()).not.toContain('test-admin-token');
  });
});

describe('config revision', () => {
  it('moves by exactly one per committed write, and not at all for failed ones', async () => {
    const r0 = await revision();
    const created = await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    expect(await revision()).toBe(r0 + 1);
    expect(created.body.metadata.resourceVersion).toBe(String(r0 + 1));
    const path = '/api/v1/namespaces/shop/routes/orders';
    await h.api('PATCH', path, { spec: { hostnames: ['a.example.com'] } });
    expect(await revision()).toBe(r0 + 2);

    expect((await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'))).status).toBe(409);
    // The patch is merged and validated inside the write transaction, after the revision moved:
    // rolling it back must restore the revision.
    expect((await h.api('PATCH', path, { spec: { rules: [] } })).status).toBe(422);
    expect((await h.api('PUT', path, created.body, { 'if-match': '"999"' })).status).toBe(412);
    expect((await h.api('DELETE', '/api/v1/namespaces/shop/routes/missing')).status).toBe(404);
    expect(await revision()).toBe(r0 + 2);

    await h.api('DELETE', path);
    expect(await revision()).toBe(r0 + 3);
  });

  it('gives concurrent writes distinct consecutive revisions', async () => {
    const r0 = await revision();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => h.api('POST', '/api/v1/namespaces/shop/routes', route(`r${i}`))),
    );
    const versions = results.map((r) => Number(r.body.metadata.resourceVersion)).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 12 }, (_, i) => r0 + 1 + i));
  });
});

describe('system endpoints', () => {
  it('serves an OpenAPI 3.1 document with every kind', async () => {
    const doc = (await h.api('GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    for (const info of Object.values(KINDS)) {
      expect(doc.components.schemas[info.kind]).toMatchObject({ type: 'object' });
      expect(doc.paths[`/api/v1/namespaces/{namespace}/${info.plural}/{name}`]).toHaveProperty('patch');
      expect(doc.paths[`/api/v1/${info.plural}`]).toHaveProperty('get');
    }
  });

  it('lists clusters and config, and serves Prometheus metrics', async () => {
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await h.cp.flush();
    const clusters = (await h.api('GET', '/api/v1/clusters')).body.items;
    expect(clusters).toEqual([
      expect.objectContaining({
        name: 'local',
        state: 'active',
        published: expect.objectContaining({ resources: 1 }),
      }),
    ]);
    const config = (await h.api('GET', '/api/v1/config')).body;
    expect(config.translatedRevision).toBe(config.revision);
    expect(config.clusters).toEqual([
      expect.objectContaining({ cluster: 'local', revision: config.revision, hash: expect.any(String) }),
    ]);
    expect((await h.api('GET', '/api/v1/gateways')).body).toEqual({ items: [] });
    const metrics = await h.api('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(String(metrics.body)).toMatch(/hubpo_controlplane_snapshots_published/);
  });
});
