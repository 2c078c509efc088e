import { HubpoError } from '@hubpo/core';
import { translate } from '@hubpo/translator';
import type { TranslateInput } from '@hubpo/translator';
import { eventually, route, startHarness, startTestPostgres, stopTestPostgres } from './harness.js';
import type { Harness } from './harness.js';

jest.setTimeout(60_000);

let h: Harness | undefined;
beforeAll(startTestPostgres);
afterAll(stopTestPostgres);
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const snapshotRows = async (harness: Harness) =>
  harness.query<{ revision: string; hash: string; objects: { name: string }[] }>(
    "select revision, hash, objects from snapshots where cluster = 'local' order by id",
  );

const conditionOf = (body: { status: { conditions?: { type: string }[] } }, type: string) =>
  body.status.conditions?.find((c) => c.type === type);

describe('config pipeline', () => {
  it('translates a burst of writes once, after the burst', async () => {
    const harness = await startHarness({ debounceMs: 300, maxWaitMs: 10_000 });
    h = harness;
    expect(await snapshotRows(harness)).toHaveLength(1); // the empty config, published at start
    const writes = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        harness.api('POST', '/api/v1/namespaces/shop/routes', route(`r${i}`)),
      ),
    );
    expect(writes.every((w) => w.status === 201)).toBe(true);
    const revision = (await harness.api('GET', '/api/v1/config')).body.revision as number;
    const rows = await eventually(async () => {
      const r = await snapshotRows(harness);
      return r.length > 1 ? r : undefined;
    });
    // Give a second (wrong) publication time to happen before asserting there is none.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const all = await snapshotRows(harness);
    expect(all).toHaveLength(2);
    expect(rows[1]?.objects).toHaveLength(15);
    expect(Number(all[1]?.revision)).toBe(revision);
    const config = (await harness.api('GET', '/api/v1/config')).body;
    expect(config.translatedRevision).toBe(revision);
  });

  it('does not republish when a write leaves the snapshot unchanged', async () => {
    const harness = await startHarness();
    h = harness;
    await harness.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await harness.cp.flush();
    const before = await snapshotRows(harness);
    await harness.api('PATCH', '/api/v1/namespaces/shop/routes/orders', {
      metadata: { labels: { team: 'shop' } },
    });
    await harness.cp.flush();
    expect(await snapshotRows(harness)).toEqual(before);
  });

  it('marks a route with an invalid regex Accepted=False and publishes the others', async () => {
    const harness = await startHarness();
    h = harness;
    const bad = route('broken', {
      rules: [
        {
          matches: [{ path: { type: 'RegularExpression', value: '/api/(unclosed' } }],
          backends: [{ url: 'http://127.0.0.1:1' }],
        },
      ],
    });
    expect((await harness.api('POST', '/api/v1/namespaces/shop/routes', bad)).status).toBe(201);
    expect((await harness.api('POST', '/api/v1/namespaces/shop/routes', route('orders'))).status).toBe(201);
    await harness.cp.flush();

    const published = (await snapshotRows(harness)).at(-1);
    expect(published?.objects.map((o) => o.name)).toEqual(['shop/orders']);

    const broken = (await harness.api('GET', '/api/v1/namespaces/shop/routes/broken/status')).body;
    expect(conditionOf(broken, 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'InvalidRegex',
      observedGeneration: 1,
    });
    expect(conditionOf(broken, 'Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });

    const orders = (await harness.api('GET', '/api/v1/namespaces/shop/routes/orders')).body;
    expect(conditionOf(orders, 'Accepted')).toMatchObject({ status: 'True', observedGeneration: 1 });
    expect(conditionOf(orders, 'Programmed')).toMatchObject({ status: 'True', observedGeneration: 1 });
    expect(conditionOf(orders, 'Distributed')).toMatchObject({ status: 'Unknown', reason: 'NoGateways' });
    expect(orders.status.distribution).toEqual([
      { cluster: 'local', gateways: 0, acked: 0, revision: expect.any(Number) },
    ]);
  });

  it('writes statuses without moving the revision and keeps lastTransitionTime while a status holds', async () => {
    const harness = await startHarness();
    h = harness;
    await harness.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await harness.cp.flush();
    const first = (await harness.api('GET', '/api/v1/namespaces/shop/routes/orders')).body;
    const revision = (await harness.api('GET', '/api/v1/config')).body.revision;
    expect(first.metadata.resourceVersion).toBe(String(revision));
    const accepted = conditionOf(first, 'Accepted') as unknown as { lastTransitionTime: string };

    await new Promise((resolve) => setTimeout(resolve, 20));
    await harness.api('PATCH', '/api/v1/namespaces/shop/routes/orders', {
      spec: { hostnames: ['new.example.com'] },
    });
    await harness.cp.flush();
    const second = (await harness.api('GET', '/api/v1/namespaces/shop/routes/orders')).body;
    expect(second.metadata.generation).toBe(2);
    expect(second.status.observedGeneration).toBe(2);
    expect(conditionOf(second, 'Accepted')).toMatchObject({
      status: 'True',
      observedGeneration: 2,
      lastTransitionTime: accepted.lastTransitionTime,
    });
    expect((await harness.api('GET', '/api/v1/config')).body.revision).toBe(revision + 1);
  });

  it('keeps the previous snapshot when translation throws, and logs and counts it', async () => {
    let failing = false;
    const flaky = (input: TranslateInput) => {
      if (failing) throw new HubpoError('TRANSLATION', 'contract broken');
      return translate(input);
    };
    const harness = await startHarness({}, { translate: flaky });
    h = harness;
    await harness.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await harness.cp.flush();
    const good = await snapshotRows(harness);

    failing = true;
    await harness.api('POST', '/api/v1/namespaces/shop/routes', route('payments'));
    await harness.cp.flush();
    expect(await snapshotRows(harness)).toEqual(good);
    const config = (await harness.api('GET', '/api/v1/config')).body;
    expect(config.failedClusters).toEqual(['local']);
    expect(
      harness.logs.lines.some(
        (l) =>
          l['msg'] === 'translation failed; the previous snapshot stays published' &&
          l['cluster'] === 'local',
      ),
    ).toBe(true);
    const metrics = String((await harness.api('GET', '/metrics')).body);
    expect(metrics).toMatch(/hubpo_controlplane_translation_failures_total\{[^}]*\} 1/);
    const payments = (await harness.api('GET', '/api/v1/namespaces/shop/routes/payments/status')).body;
    expect(conditionOf(payments, 'Programmed')).toMatchObject({ status: 'False' });

    failing = false;
    await harness.api('PATCH', '/api/v1/namespaces/shop/routes/payments', {
      metadata: { labels: { retry: 'yes' } },
    });
    await harness.cp.flush();
    const latest = (await snapshotRows(harness)).at(-1);
    expect(latest?.objects.map((o) => o.name)).toEqual(['shop/orders', 'shop/payments']);
  });
});
