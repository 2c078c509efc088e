import { startFakeKube, type FakeKube } from './fake-kube.js';
import type { WatchStream } from './testdata/kube-http.js';
import { call, openWatch, WIDGETS, widget, widgetCrd } from './testdata/kube-http.js';

let fake: FakeKube;
const streams: WatchStream[] = [];
beforeEach(async () => {
  fake = await startFakeKube({ crds: [widgetCrd], namespaces: ['team-a'], bookmarkIntervalMs: 50 });
});
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await fake.stop();
});

async function watch(query: string, base = WIDGETS): Promise<WatchStream> {
  const stream = await openWatch(fake, `${base}?${query}`);
  streams.push(stream);
  return stream;
}

const MERGE = 'application/merge-patch+json';

describe('watch', () => {
  it('streams newline-delimited JSON events over a chunked 200 response', async () => {
    const res = await fetch(
      `${fake.url}${WIDGETS}?watch=1&resourceVersion=${fake.resourceVersion}&timeoutSeconds=1`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    await call(fake, 'POST', WIDGETS, widget('w'));
    const text = await res.text();
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      type: 'ADDED',
      object: { kind: 'Widget', apiVersion: 'example.com/v1', metadata: { name: 'w' } },
    });
  });

  it('starts with synthetic ADDED events for current objects when resourceVersion is unset or 0', async () => {
    await call(fake, 'POST', WIDGETS, widget('a'));
    await call(fake, 'POST', WIDGETS, widget('b'));
    for (const [size, query] of [
      [2, 'watch=true'],
      [3, 'watch=true&resourceVersion=0'],
    ] as const) {
      const stream = await watch(query);
      const events = await stream.take(2);
      expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
        ['ADDED', 'a'],
        ['ADDED', 'b'],
      ]);
      await call(fake, 'PATCH', `${WIDGETS}/a`, { spec: { size } }, MERGE);
      expect(await stream.next()).toMatchObject({
        type: 'MODIFIED',
        object: { metadata: { name: 'a' }, spec: { size } },
      });
    }
  });

  it('replays the history after a resourceVersion, then goes live', async () => {
    const a = (await call(fake, 'POST', WIDGETS, widget('a'))).body;
    const from = a.metadata.resourceVersion;
    await call(fake, 'POST', WIDGETS, widget('b'));
    await call(fake, 'PATCH', `${WIDGETS}/a`, { spec: { size: 2 } }, MERGE);
    await call(fake, 'DELETE', `${WIDGETS}/b`);
    const stream = await watch(`watch=true&resourceVersion=${from}`);
    const replay = await stream.take(3);
    expect(replay.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'b'],
      ['MODIFIED', 'a'],
      ['DELETED', 'b'],
    ]);
    const rvs = replay.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
    expect(rvs[0]).toBeGreaterThan(Number(from));
    await call(fake, 'POST', WIDGETS, widget('c'));
    expect(await stream.next()).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'c' } } });
  });

  it('only sees its namespace on a namespaced path and every namespace on the cluster-wide path', async () => {
    const ns = await watch(`watch=true&resourceVersion=${fake.resourceVersion}`);
    const all = await watch(
      `watch=true&resourceVersion=${fake.resourceVersion}`,
      '/apis/example.com/v1/widgets',
    );
    await call(fake, 'POST', '/apis/example.com/v1/namespaces/team-a/widgets', widget('elsewhere'));
    await call(fake, 'POST', WIDGETS, widget('here'));
    expect((await ns.next()).object.metadata.name).toBe('here');
    expect((await all.take(2)).map((e) => e.object.metadata.name)).toEqual(['elsewhere', 'here']);
  });

  it('sends BOOKMARK events with only the resourceVersion when asked', async () => {
    const stream = await watch(`watch=true&resourceVersion=${fake.resourceVersion}&allowWatchBookmarks=true`);
    await call(fake, 'POST', WIDGETS, widget('a'));
    const bookmark = await stream.nextMatching((e) => e.type === 'BOOKMARK');
    expect(bookmark.object).toEqual({
      kind: 'Widget',
      apiVersion: 'example.com/v1',
      metadata: { resourceVersion: fake.resourceVersion },
    });
    const plain = await watch(`watch=true&resourceVersion=${fake.resourceVersion}`);
    expect(await plain.quietFor(200)).toBe(true);
  });

  it('marks the end of initial events with sendInitialEvents', async () => {
    await call(fake, 'POST', WIDGETS, widget('a'));
    const stream = await watch(
      'watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true',
    );
    expect((await stream.next()).type).toBe('ADDED');
    const end = await stream.next();
    expect(end.type).toBe('BOOKMARK');
    expect(end.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  });

  it('answers an ERROR event with a 410 Expired Status after compaction, then ends the stream', async () => {
    const old = (await call(fake, 'POST', WIDGETS, widget('a'))).body.metadata.resourceVersion;
    await call(fake, 'POST', WIDGETS, widget('b'));
    fake.compactHistory();
    const stream = await watch(`watch=true&resourceVersion=${old}`);
    expect(stream.status).toBe(200);
    const event = await stream.next();
    expect(event.type).toBe('ERROR');
    expect(event.object).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Expired',
      code: 410,
    });
    expect(event.object.message).toContain('too old resource version');
    await stream.waitForEnd();
    const current = await watch(`watch=true&resourceVersion=${fake.resourceVersion}`);
    await call(fake, 'POST', WIDGETS, widget('c'));
    expect((await current.next()).type).toBe('ADDED');
  });

  it('expires resourceVersions that fell out of a bounded history', async () => {
    const small = await startFakeKube({ crds: [widgetCrd], historyLimit: 3 });
    try {
      const first = (await call(small, 'POST', WIDGETS, widget('a'))).body.metadata.resourceVersion;
      for (const name of ['b', 'c', 'd', 'e']) await call(small, 'POST', WIDGETS, widget(name));
      const stream = await openWatch(small, `${WIDGETS}?watch=true&resourceVersion=${first}`);
      expect((await stream.next()).object.code).toBe(410);
      stream.close();
    } finally {
      await small.stop();
    }
  });

  it('answers 400 for a resourceVersion that is not a number', async () => {
    const res = await call(fake, 'GET', `${WIDGETS}?watch=true&resourceVersion=abc`);
    expect(res.status).toBe(400);
  });

  it('ends every open watch abruptly on breakWatches', async () => {
    const a = await watch(`watch=true&resourceVersion=${fake.resourceVersion}`);
    const b = await watch('watch=true', '/api/v1/namespaces/default/configmaps');
    expect(fake.watchCount()).toBe(2);
    fake.breakWatches();
    await a.waitForEnd();
    await b.waitForEnd();
    expect(a.error).toBeDefined();
    expect(fake.watchCount()).toBe(0);
  });

  it('can end watches cleanly instead', async () => {
    const a = await watch(`watch=true&resourceVersion=${fake.resourceVersion}`);
    fake.breakWatches({ graceful: true });
    await a.waitForEnd();
    expect(a.error).toBeUndefined();
  });

  it('honours timeoutSeconds by ending the stream cleanly', async () => {
    const stream = await watch(`watch=true&resourceVersion=${fake.resourceVersion}&timeoutSeconds=1`);
    const started = Date.now();
    await stream.waitForEnd(3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(stream.error).toBeUndefined();
  });

  it('sends nothing, not even bookmarks, while stalled, and delivers held events afterwards', async () => {
    const stream = await watch(`watch=true&resourceVersion=${fake.resourceVersion}&allowWatchBookmarks=true`);
    await stream.nextMatching((e) => e.type === 'BOOKMARK');
    fake.stallWatches(1200);
    const seen = stream.events.length;
    await call(fake, 'POST', WIDGETS, widget('held'));
    expect(await stream.quietFor(300)).toBe(true);
    expect(stream.events.length).toBe(seen);
    expect(stream.ended).toBe(false);
    const added = await stream.nextMatching((e) => e.type === 'ADDED', 3000);
    expect(added.object.metadata.name).toBe('held');
  });

  it('one-shot failures apply to watch requests too', async () => {
    fake.failNext('GET', /watch=true/, 500);
    expect((await call(fake, 'GET', `${WIDGETS}?watch=true`)).status).toBe(500);
  });

  it('supports the legacy /watch/ path prefix', async () => {
    const stream = await openWatch(
      fake,
      `/apis/example.com/v1/watch/namespaces/default/widgets?resourceVersion=${fake.resourceVersion}`,
    );
    streams.push(stream);
    await call(fake, 'POST', WIDGETS, widget('w'));
    expect((await stream.next()).type).toBe('ADDED');
  });
});

describe('watch with selectors', () => {
  it('sends DELETED when an object stops matching and ADDED when it starts matching', async () => {
    await call(fake, 'POST', WIDGETS, widget('w', undefined, { labels: { app: 'web' } }));
    await call(fake, 'POST', WIDGETS, widget('other', undefined, { labels: { app: 'db' } }));
    const stream = await watch('watch=true&labelSelector=app%3Dweb');
    expect(await stream.next()).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'w' } } });

    await call(fake, 'PATCH', `${WIDGETS}/other`, { spec: { size: 3 } }, MERGE);
    const relabelled = (
      await call(fake, 'PATCH', `${WIDGETS}/w`, { metadata: { labels: { app: 'api' } } }, MERGE)
    ).body;
    const gone = await stream.next();
    expect(gone.type).toBe('DELETED');
    expect(gone.object.metadata.labels).toEqual({ app: 'web' });
    expect(gone.object.metadata.resourceVersion).toBe(relabelled.metadata.resourceVersion);

    await call(fake, 'PATCH', `${WIDGETS}/w`, { spec: { size: 4 } }, MERGE);
    await call(fake, 'PATCH', `${WIDGETS}/w`, { metadata: { labels: { app: 'web' } } }, MERGE);
    expect(await stream.next()).toMatchObject({
      type: 'ADDED',
      object: { metadata: { name: 'w', labels: { app: 'web' } }, spec: { size: 4 } },
    });
  });

  it('applies selectors to replayed history in the same way', async () => {
    const from = fake.resourceVersion;
    await call(fake, 'POST', WIDGETS, widget('w', undefined, { labels: { app: 'web' } }));
    await call(fake, 'PATCH', `${WIDGETS}/w`, { metadata: { labels: { app: 'db' } } }, MERGE);
    const stream = await watch(`watch=true&resourceVersion=${from}&labelSelector=app%3Dweb`);
    expect((await stream.take(2)).map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
  });

  it('watches a single object by metadata.name field selector', async () => {
    const stream = await watch(
      `watch=true&resourceVersion=${fake.resourceVersion}&fieldSelector=metadata.name%3Done`,
    );
    await call(fake, 'POST', WIDGETS, widget('two'));
    await call(fake, 'POST', WIDGETS, widget('one'));
    expect((await stream.next()).object.metadata.name).toBe('one');
  });

  it('sees writes made with fake.apply', async () => {
    const stream = await watch(`watch=true&resourceVersion=${fake.resourceVersion}`);
    fake.apply(widget('direct'));
    fake.apply(widget('direct', { size: 9 }));
    expect((await stream.take(2)).map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']);
  });
});
