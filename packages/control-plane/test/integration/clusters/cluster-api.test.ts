import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { API_VERSION } from '@hubpo/api';
import {
  aiModel,
  consumer,
  eventually,
  route,
  startHarness,
  startTestPostgres,
  stopTestPostgres,
} from '../harness.js';
import type { ApiResponse, Harness } from '../harness.js';

jest.setTimeout(60_000);

const BOOTSTRAP = 'bootstrap-token-0123456789abcdef';
const SECRET_KEY = randomBytes(32);
const DATAPLANE_KEY = randomBytes(32);

let h: Harness | undefined;
beforeAll(startTestPostgres);
afterAll(stopTestPostgres);
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function start(overrides: Record<string, unknown> = {}): Promise<Harness> {
  return startHarness({
    bootstrapToken: BOOTSTRAP,
    secretKey: SECRET_KEY.toString('base64'),
    dataplaneKey: DATAPLANE_KEY.toString('base64'),
    ...overrides,
  }).then((harness) => (h = harness));
}

/** Calls the cluster API with a bearer token (never the admin token). */
function call(
  harness: Harness,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  return harness.api(method, `/api/v1/clusters${path}`, body, { authorization: `Bearer ${token}` });
}

async function register(
  harness: Harness,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await call(harness, BOOTSTRAP, 'POST', '/register', {
    name,
    cloud: 'aws',
    region: 'eu-west-1',
    ...extra,
  });
  expect([200, 201]).toContain(res.status);
  return res.body.token as string;
}

/** A resource as an operator sends it: Kubernetes metadata, the generation Kubernetes gave it. */
function k8s(
  object: Record<string, any>,
  namespace: string,
  generation: number,
  secrets?: unknown,
): Record<string, any> {
  return {
    ...object,
    metadata: {
      ...object['metadata'],
      namespace,
      uid: 'f0d3a8a4-9a43-4a5e-8d0e-3c6f3f1b2a10',
      generation,
      resourceVersion: '48213',
      creationTimestamp: '2024-05-01T10:00:00Z',
      labels: { team: 'shop' },
    },
    ...(secrets === undefined ? {} : { secrets }),
  };
}

const snapshotOf = async (harness: Harness, cluster: string) => {
  const rows = await harness.query<{ objects: { kind: string; name: string; value: any }[] }>(
    'select objects from snapshots where cluster = $1 order by id desc limit 1',
    [cluster],
  );
  return rows[0]?.objects ?? [];
};

const conditionOf = (status: { conditions?: { type: string }[] }, type: string): any =>
  status.conditions?.find((c) => c.type === type);

describe('cluster API disabled (no bootstrap token)', () => {
  it('answers 404 on every cluster API path and keeps the admin cluster list', async () => {
    const harness = await startHarness();
    h = harness;
    expect((await call(harness, BOOTSTRAP, 'POST', '/register', { name: 'east' })).status).toBe(404);
    expect((await call(harness, 'x', 'POST', '/east/heartbeat')).status).toBe(404);
    expect((await call(harness, 'x', 'GET', '/east/statuses')).status).toBe(404);
    const list = await harness.api('GET', '/api/v1/clusters');
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: { name: string }) => c.name)).toEqual(['local']);
  });
});

describe('registration and tokens', () => {
  it('registers with the bootstrap token, stores only the token hash and rotates it on re-registration', async () => {
    const harness = await start();
    expect((await call(harness, 'wrong', 'POST', '/register', { name: 'east' })).status).toBe(401);
    const bad = await call(harness, BOOTSTRAP, 'POST', '/register', {
      name: 'East_1',
      labels: { env: 'x y' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.issues.map((i: { path: string }) => i.path)).toEqual(['/name', '/labels/env']);

    const first = await call(harness, BOOTSTRAP, 'POST', '/register', {
      name: 'east',
      cloud: 'aws',
      region: 'us-east-1',
      labels: { env: 'prod' },
    });
    expect(first.status).toBe(201);
    expect(Buffer.from(first.body.token, 'base64url')).toHaveLength(32);
    const stored = await harness.query<{ token_sha256: string }>(
      'select token_sha256 from cluster_operators',
    );
    expect(stored).toEqual([{ token_sha256: createHash('sha256').update(first.body.token).digest('hex') }]);

    const clusters = (await harness.api('GET', '/api/v1/clusters')).body.items;
    expect(clusters.find((c: { name: string }) => c.name === 'east')).toMatchObject({
      labels: { cloud: 'aws', region: 'us-east-1', env: 'prod' },
      state: 'active',
      operator: { registeredAt: expect.any(String), lastHeartbeat: expect.any(String) },
    });

    const second = await call(harness, BOOTSTRAP, 'POST', '/register', {
      name: 'east',
      cloud: 'aws',
      region: 'us-east-2',
    });
    expect(second.status).toBe(200);
    expect(second.body.token).not.toBe(first.body.token);
    expect((await call(harness, first.body.token, 'POST', '/east/heartbeat')).status).toBe(401);
    expect(
      (await call(harness, second.body.token, 'POST', '/east/heartbeat', { operator: { pod: 'op-1' } }))
        .status,
    ).toBe(200);
    const relabelled = (await harness.api('GET', '/api/v1/clusters')).body.items;
    expect(relabelled.find((c: { name: string }) => c.name === 'east')).toMatchObject({
      labels: { cloud: 'aws', region: 'us-east-2' },
      operator: { pod: 'op-1' },
    });
  });

  it('lets a cluster token touch only its own cluster', async () => {
    const harness = await start();
    const east = await register(harness, 'east');
    await register(harness, 'west');
    expect((await call(harness, east, 'POST', '/west/heartbeat')).status).toBe(403);
    const put = await call(
      harness,
      east,
      'PUT',
      '/west/objects/routes/shop/orders',
      k8s(route('orders'), 'shop', 1),
    );
    expect(put.status).toBe(403);
    expect((await call(harness, east, 'GET', '/west/statuses')).status).toBe(403);
    expect((await harness.api('GET', '/api/v1/namespaces/shop/routes/orders')).status).toBe(404);
    // The admin token is not a cluster token either.
    expect((await harness.api('POST', '/api/v1/clusters/east/heartbeat')).status).toBe(401);
  });

  it('shows a silent cluster unreachable without deleting anything, and active again on a heartbeat', async () => {
    const harness = await start({ clusterSilenceMs: 500 });
    const token = await register(harness, 'east');
    expect(
      (await call(harness, token, 'PUT', '/east/objects/routes/shop/orders', k8s(route('orders'), 'shop', 1)))
        .status,
    ).toBe(200);
    await harness.cp.flush();
    const stateOf = async () =>
      (await harness.api('GET', '/api/v1/clusters')).body.items.find(
        (c: { name: string }) => c.name === 'east',
      ).state;
    expect(await stateOf()).toBe('active');
    await eventually(
      async () => ((await stateOf()) === 'unreachable' ? true : undefined),
      5000,
      'unreachable',
    );
    await harness.cp.flush();
    expect((await harness.api('GET', '/api/v1/namespaces/shop/routes/orders')).status).toBe(200);
    expect((await snapshotOf(harness, 'east')).map((o) => o.name)).toEqual(['shop/orders']);
    await call(harness, token, 'POST', '/east/heartbeat');
    expect(await stateOf()).toBe('active');
  });
});

describe('objects from a cluster', () => {
  it('stores the object with its Kubernetes generation and origin, placed in its cluster only', async () => {
    const harness = await start();
    const token = await register(harness, 'east');
    const before = (await harness.api('GET', '/api/v1/config')).body.revision;
    const put = await call(
      harness,
      token,
      'PUT',
      '/east/objects/routes/shop/orders',
      k8s(route('orders'), 'shop', 7),
    );
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ revision: before + 1, generation: 7, changed: true });
    await harness.api('POST', '/api/v1/namespaces/shop/routes', route('everywhere'));
    await harness.cp.flush();

    const stored = (await harness.api('GET', '/api/v1/namespaces/shop/routes/orders')).body;
    expect(stored.metadata).toMatchObject({
      generation: 7,
      labels: { team: 'shop' },
      resourceVersion: String(before + 1),
    });
    expect(stored.metadata.uid).not.toBe('f0d3a8a4-9a43-4a5e-8d0e-3c6f3f1b2a10');
    expect(conditionOf(stored.status, 'Programmed')).toMatchObject({ status: 'True', observedGeneration: 7 });
    // Without placement an operator's object applies where it was applied; admin objects everywhere.
    expect((await snapshotOf(harness, 'east')).map((o) => o.name)).toEqual([
      'shop/everywhere',
      'shop/orders',
    ]);
    expect((await snapshotOf(harness, 'local')).map((o) => o.name)).toEqual(['shop/everywhere']);
  });

  it('answers an unchanged object without a write, and a changed one with a new revision', async () => {
    const harness = await start();
    const token = await register(harness, 'east');
    const path = '/east/objects/routes/shop/orders';
    const first = (await call(harness, token, 'PUT', path, k8s(route('orders'), 'shop', 1))).body;
    const again = (await call(harness, token, 'PUT', path, k8s(route('orders'), 'shop', 1))).body;
    expect(again).toEqual({ revision: first.revision, generation: 1, changed: false });
    expect((await harness.api('GET', '/api/v1/config')).body.revision).toBe(first.revision);
    const changed = k8s(route('orders', { hostnames: ['shop.example.com'] }), 'shop', 2);
    expect((await call(harness, token, 'PUT', path, changed)).body).toEqual({
      revision: first.revision + 1,
      generation: 2,
      changed: true,
    });
  });

  it('rejects an invalid object with 422 and its issues, and writes nothing', async () => {
    const harness = await start();
    const token = await register(harness, 'east');
    const before = (await harness.api('GET', '/api/v1/config')).body.revision;
    const invalid = k8s(route('orders', { rules: [] }), 'shop', 1);
    const res = await call(harness, token, 'PUT', '/east/objects/routes/shop/orders', invalid);
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual([expect.objectContaining({ path: '/spec/rules' })]);
    const noGeneration = { ...route('orders'), metadata: { name: 'orders', namespace: 'shop' } };
    const res2 = await call(harness, token, 'PUT', '/east/objects/routes/shop/orders', noGeneration);
    expect(res2.body.issues).toEqual([expect.objectContaining({ path: '/metadata/generation' })]);
    const misnamed = await call(
      harness,
      token,
      'PUT',
      '/east/objects/routes/shop/other',
      k8s(route('orders'), 'shop', 1),
    );
    expect(misnamed.status).toBe(422);
    expect((await harness.api('GET', '/api/v1/config')).body.revision).toBe(before);
    expect((await harness.api('GET', '/api/v1/namespaces/shop/routes/orders')).status).toBe(404);
  });

  it('refuses to replace or delete an object the admin API or another cluster owns', async () => {
    const harness = await start();
    const east = await register(harness, 'east');
    const west = await register(harness, 'west');
    await harness.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    const res = await call(
      harness,
      east,
      'PUT',
      '/east/objects/routes/shop/orders',
      k8s(route('orders'), 'shop', 1),
    );
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/created through the admin API/);
    await call(harness, west, 'PUT', '/west/objects/routes/shop/payments', k8s(route('payments'), 'shop', 1));
    const taken = await call(
      harness,
      east,
      'PUT',
      '/east/objects/routes/shop/payments',
      k8s(route('payments'), 'shop', 1),
    );
    expect(taken.body.detail).toMatch(/belongs to cluster "west"/);
    expect((await call(harness, east, 'DELETE', '/east/objects/routes/shop/payments')).body).toMatchObject({
      deleted: false,
    });
    expect((await harness.api('GET', '/api/v1/namespaces/shop/routes/payments')).status).toBe(200);
  });

  it('deletes an object with a new revision, and answers a repeated delete with deleted: false', async () => {
    const harness = await start();
    const token = await register(harness, 'east');
    const put = (
      await call(harness, token, 'PUT', '/east/objects/routes/shop/orders', k8s(route('orders'), 'shop', 1))
    ).body;
    const del = await call(harness, token, 'DELETE', '/east/objects/routes/shop/orders');
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ deleted: true, revision: put.revision + 1 });
    expect((await harness.api('GET', '/api/v1/namespaces/shop/routes/orders')).status).toBe(404);
    const again = await call(harness, token, 'DELETE', '/east/objects/routes/shop/orders');
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ deleted: false, revision: put.revision + 1 });
  });

  it('accepts Consumer keys as hashes and distributes only the hash', async () => {
    const harness = await start();
    const token = await register(harness, 'east');
    const sha256 = createHash('sha256').update('hk_live_0123456789abcdef').digest('hex');
    const body = k8s(consumer('mobile', { apiKeys: [{ name: 'main', sha256 }] }), 'shop', 1);
    expect((await call(harness, token, 'PUT', '/east/objects/consumers/shop/mobile', body)).status).toBe(200);
    await harness.cp.flush();
    const [payload] = (await snapshotOf(harness, 'east')).filter((o) => o.kind === 'consumer');
    expect(JSON.stringify(payload?.value)).toContain(sha256);
  });
});

describe('provider credentials', () => {
  const model = () =>
    aiModel('chat', {
      targets: [
        { provider: 'openai', model: 'gpt-4o', credentialsRef: { name: 'openai', key: 'api-key' } },
        { provider: 'mock', model: 'mock-1' },
      ],
    });
  const secret = 'sk-live-the-provider-key-0123456789';

  it('stores the credential encrypted, never returns it, and seals it for the data plane', async () => {
    const harness = await start();
    const token = await register(harness, 'east');
    const body = k8s(model(), 'ai', 1, { credentials: [{ target: 0, value: secret }] });
    expect((await call(harness, token, 'PUT', '/east/objects/aimodels/ai/chat', body)).status).toBe(200);
    await harness.cp.flush();

    const rows = await harness.query<{ sealed: string }>('select sealed from resource_credentials');
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.sealed, 'base64').toString('latin1')).not.toContain(secret);
    const everything = JSON.stringify([
      (await harness.api('GET', '/api/v1/namespaces/ai/aimodels/chat')).body,
      (await harness.api('GET', '/api/v1/aimodels')).body,
      (await call(harness, token, 'GET', '/east/statuses')).body,
    ]);
    expect(everything).not.toContain(secret);

    const [payload] = (await snapshotOf(harness, 'east')).filter((o) => o.kind === 'aimodel');
    const sealed: string = payload?.value.targets.find((t: any) => t.provider === 'openai').credential;
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', DATAPLANE_KEY, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    expect(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')).toBe(
      secret,
    );

    const status = (await harness.api('GET', '/api/v1/namespaces/ai/aimodels/chat/status')).body.status;
    expect(conditionOf(status, 'ResolvedRefs')).toMatchObject({ status: 'True' });

    // Translating again does not change the sealed bytes, so the snapshot is not republished.
    const published = await harness.query('select id from snapshots where cluster = $1', ['east']);
    await harness.api(
      'POST',
      '/api/v1/namespaces/ai/routes',
      route('unrelated', { placement: { clusters: ['local'] } }),
    );
    await harness.cp.flush();
    expect(await harness.query('select id from snapshots where cluster = $1', ['east'])).toEqual(published);
  });

  it('rotates a credential without a new generation, and rejects credentials for targets without a reference', async () => {
    const harness = await start();
    const token = await register(harness, 'east');
    const path = '/east/objects/aimodels/ai/chat';
    await call(
      harness,
      token,
      'PUT',
      path,
      k8s(model(), 'ai', 1, { credentials: [{ target: 0, value: secret }] }),
    );
    const rotated = await call(
      harness,
      token,
      'PUT',
      path,
      k8s(model(), 'ai', 1, { credentials: [{ target: 0, value: `${secret}-v2` }] }),
    );
    expect(rotated.body).toMatchObject({ changed: true, generation: 1 });
    const bad = await call(
      harness,
      token,
      'PUT',
      path,
      k8s(model(), 'ai', 1, { credentials: [{ target: 1, value: secret }] }),
    );
    expect(bad.status).toBe(422);
    expect(bad.body.issues).toEqual([{ path: '/secrets/credentials/0/target', message: expect.any(String) }]);
  });

  it('keeps ResolvedRefs=False and says why when the control plane has no data-plane key', async () => {
    const harness = await start({ dataplaneKey: undefined });
    const token = await register(harness, 'east');
    await call(
      harness,
      token,
      'PUT',
      '/east/objects/aimodels/ai/chat',
      k8s(model(), 'ai', 1, { credentials: [{ target: 0, value: secret }] }),
    );
    await harness.cp.flush();
    const status = (await harness.api('GET', '/api/v1/namespaces/ai/aimodels/chat/status')).body.status;
    expect(conditionOf(status, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
      message: expect.stringContaining('HUBPO_DATAPLANE_KEY is not set'),
    });
  });
});

describe('statuses', () => {
  it('lists the statuses of the cluster objects, then long-polls for the next change', async () => {
    const harness = await start();
    const token = await register(harness, 'east');
    await register(harness, 'west');
    await call(harness, token, 'PUT', '/east/objects/routes/shop/orders', k8s(route('orders'), 'shop', 4));
    await harness.api('POST', '/api/v1/namespaces/shop/routes', route('admin-owned'));
    await harness.cp.flush();

    const all = (await call(harness, token, 'GET', '/east/statuses')).body;
    expect(all.items).toHaveLength(1);
    const [orders] = all.items;
    expect(orders).toMatchObject({ kind: 'Route', namespace: 'shop', name: 'orders', generation: 4 });
    expect(orders.status.observedGeneration).toBe(4);
    expect(orders.status.conditions.map((c: { type: string }) => c.type)).toEqual([
      'Accepted',
      'ResolvedRefs',
      'Programmed',
      'Distributed',
    ]);
    expect(orders.status.distribution).toEqual([
      { cluster: 'east', gateways: 0, acked: 0, revision: expect.any(Number) },
    ]);

    const idle = Date.now();
    const empty = (await call(harness, token, 'GET', `/east/statuses?after=${all.cursor}&wait=1`)).body;
    expect(empty).toEqual({ cursor: all.cursor, items: [] });
    expect(Date.now() - idle).toBeGreaterThanOrEqual(900);

    const polled = call(harness, token, 'GET', `/east/statuses?after=${all.cursor}&wait=30`);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await call(
      harness,
      token,
      'PUT',
      '/east/objects/routes/shop/orders',
      k8s(route('orders', { hostnames: ['b.example.com'] }), 'shop', 5),
    );
    const next = (await polled).body;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(next.items).toEqual([
      expect.objectContaining({
        name: 'orders',
        generation: 5,
        status: expect.objectContaining({ observedGeneration: 5 }),
      }),
    ]);
    expect(Number(next.cursor)).toBeGreaterThan(Number(all.cursor));

    expect((await call(harness, token, 'GET', '/east/statuses?wait=soon')).status).toBe(400);
  });
});

describe('admin API unchanged', () => {
  it('still places admin objects in every cluster', async () => {
    const harness = await start();
    await register(harness, 'east');
    await harness.api('POST', '/api/v1/namespaces/shop/routes', {
      apiVersion: API_VERSION,
      kind: 'Route',
      metadata: { name: 'a' },
      spec: { rules: [{ backends: [{ url: 'http://127.0.0.1:1' }] }] },
    });
    await harness.cp.flush();
    expect((await snapshotOf(harness, 'east')).map((o) => o.name)).toEqual(['shop/a']);
    expect((await snapshotOf(harness, 'local')).map((o) => o.name)).toEqual(['shop/a']);
  });
});
