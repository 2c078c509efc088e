import type { NatsConnection } from 'nats';
import { HubpoError } from '@hubpo/core';
import {
  NatsConfigBucket,
  buildSnapshot,
  clusterBlobsFilter,
  decodeResource,
  resourceKvKey,
} from '@hubpo/snapshot';
import { startNats } from '@hubpo/testkit';
import type { NatsProcess } from '@hubpo/testkit';
import { storedResourceCodec } from '../../src/config-codec.js';
import { bigObject, connectNats, routes } from './helpers.js';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;

describe('NatsConfigBucket', () => {
  let nats: NatsProcess;
  let nc: NatsConnection;
  let bucketSeq = 0;
  /** A fresh bucket per test, so tests do not see each other's clusters. */
  const names = () => {
    bucketSeq += 1;
    return { bucket: `cfg-${bucketSeq}` };
  };
  const blobKeys = async (bucket: string, cluster: string): Promise<string[]> => {
    const kv = await nc.jetstream().views.kv(bucket);
    const keys: string[] = [];
    for await (const key of await kv.keys(clusterBlobsFilter(cluster))) keys.push(key);
    return keys.sort();
  };

  beforeAll(async () => {
    nats = await startNats();
    nc = await connectNats(nats.url);
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('publishes and reads back 10,000 resources, then only what changed', async () => {
    const opts = names();
    const publisher = await NatsConfigBucket.open(nc, { ...opts, create: true });
    const reader = await NatsConfigBucket.open(nc, opts);
    const v1 = buildSnapshot('prod', 1, routes(10_000));
    expect(await publisher.publish(v1)).toMatchObject({ written: 10_000, deleted: 0, offloaded: 0 });

    const read = await reader.readSnapshot('prod');
    expect(read!.hash).toBe(v1.hash);
    expect(read!.revision).toBe(1);
    expect(read!.resources.size).toBe(10_000);
    const one = read!.resources.get('Route/ns-7/route.7')!;
    expect(decodeResource<{ hostnames: string[] }>(one).hostnames).toEqual(['r7.example.test']);

    const objects = routes(10_000);
    objects[3] = { ...objects[3]!, value: { changed: true } };
    const v2 = buildSnapshot('prod', 2, objects.slice(0, 9_998));
    expect(await publisher.publish(v2)).toMatchObject({ written: 1, deleted: 2 });
    expect(await publisher.publish(v2)).toMatchObject({ written: 0, deleted: 0 });
    const manifest = await reader.readManifest('prod');
    expect(manifest).toMatchObject({ cluster: 'prod', revision: 2, hash: v2.hash });
    expect((await reader.readSnapshot('prod'))!.hash).toBe(v2.hash);
  });

  it('keeps clusters apart and reads nothing for an unpublished cluster', async () => {
    const opts = names();
    const bucket = await NatsConfigBucket.open(nc, { ...opts, create: true });
    await bucket.publish(buildSnapshot('eu.prod', 1, routes(3)));
    await bucket.publish(buildSnapshot('eu', 1, routes(5)));
    expect((await bucket.readSnapshot('eu.prod'))!.resources.size).toBe(3);
    expect((await bucket.readSnapshot('eu'))!.resources.size).toBe(5);
    expect(await bucket.readSnapshot('us')).toBeUndefined();
  });

  it('stores large resources and manifests as chunked blobs in the bucket itself', async () => {
    const opts = names();
    const publisher = await NatsConfigBucket.open(nc, { ...opts, create: true });
    const objects = [
      bigObject('huge', 3 * MiB),
      ...[1, 2, 3, 4].map((i) => bigObject(`big-${i}`, 1.5 * MiB, `${i}`)),
    ];
    const snap = buildSnapshot('prod', 1, [...objects, ...routes(20)]);
    expect(await publisher.publish(snap)).toMatchObject({ written: 25, offloaded: 5 });
    const reader = await NatsConfigBucket.open(nc, opts);
    const read = await reader.readSnapshot('prod');
    expect(read!.hash).toBe(snap.hash);
    expect(read!.resources.get('PromptTemplate/huge')!.payload.length).toBeGreaterThan(3 * MiB);
    // Each large payload in chunks of the inline limit; nothing else is a blob.
    const limit = publisher.inlineLimitBytes;
    const chunkCount = [...snap.resources.values()]
      .filter((res) => res.payload.length > limit)
      .reduce((sum, res) => sum + Math.ceil(res.payload.length / limit), 0);
    expect(chunkCount).toBe(7 + 4 * 4); // 3 MiB and 1.5 MiB, each plus its JSON framing
    expect(await blobKeys(opts.bucket, 'prod')).toHaveLength(chunkCount);

    // A manifest larger than the inline limit is chunked too.
    const tiny = await NatsConfigBucket.open(nc, { ...names(), create: true, inlineLimitBytes: 2048 });
    const many = buildSnapshot('prod', 1, routes(500));
    await tiny.publish(many);
    expect((await tiny.readManifest('prod'))!.resources.size).toBe(500);
    expect((await tiny.readSnapshot('prod'))!.hash).toBe(many.hash);
  });

  it('deletes removed resources and, a publish later, their blobs', async () => {
    const opts = names();
    const bucket = await NatsConfigBucket.open(nc, { ...opts, create: true });
    const kv = await nc.jetstream().views.kv(opts.bucket);
    await bucket.publish(buildSnapshot('prod', 1, [bigObject('huge', 2 * MiB), ...routes(2)]));
    const chunks = await blobKeys(opts.bucket, 'prod');
    expect(chunks).toHaveLength(5); // 2 MiB + JSON framing in 512 KiB chunks

    await bucket.publish(buildSnapshot('prod', 2, routes(1)));
    const gone = await kv.get(resourceKvKey('prod', 'PromptTemplate', 'huge'));
    expect(gone?.operation).toBe('DEL');
    expect((await bucket.readSnapshot('prod'))!.resources.size).toBe(1);
    // Kept while readers of revision 1 may still fetch it.
    expect(await blobKeys(opts.bucket, 'prod')).toEqual(chunks);
    await bucket.publish(buildSnapshot('prod', 3, routes(1, 'v3')));
    expect(await blobKeys(opts.bucket, 'prod')).toEqual([]);
  });

  it('treats the manifest as the barrier: readers wait until it lists what they read', async () => {
    const opts = names();
    const publisher = await NatsConfigBucket.open(nc, { ...opts, create: true });
    const reader = await NatsConfigBucket.open(nc, { ...opts, barrierTimeoutMs: 10_000 });
    const v1 = buildSnapshot('prod', 1, routes(50));
    await publisher.publish(v1);

    // A publish of revision 2 is half done: one resource is ahead of the manifest.
    const v2 = buildSnapshot('prod', 2, routes(50, 'v2'));
    const kv = await nc.jetstream().views.kv(opts.bucket);
    const ahead = v2.resources.get('Route/ns-0/route.0')!;
    await kv.put(resourceKvKey('prod', 'Route', 'ns-0/route.0'), storedResourceCodec.encode(ahead));

    let settled = false;
    const reading = reader.readSnapshot('prod').finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false); // neither revision 1 (changed under it) nor a mix
    await publisher.publish(v2);
    const read = await reading;
    expect(read).toMatchObject({ revision: 2, hash: v2.hash });
  });

  it('fetches only what the snapshot the reader holds lacks', async () => {
    const opts = names();
    const publisher = await NatsConfigBucket.open(nc, { ...opts, create: true });
    const reader = await NatsConfigBucket.open(nc, { ...opts, barrierTimeoutMs: 300 });
    await publisher.publish(buildSnapshot('prod', 1, routes(20)));
    const held = (await reader.readSnapshot('prod'))!;
    const objects = routes(20);
    objects[4] = { ...objects[4]!, value: { changed: true } };
    const v2 = buildSnapshot('prod', 2, objects);
    await publisher.publish(v2);
    // Lose an unchanged resource: only a reader that would fetch it again notices.
    const kv = await nc.jetstream().views.kv(opts.bucket);
    await kv.delete(resourceKvKey('prod', 'Route', 'ns-9/route.9'));
    expect((await reader.readSnapshot('prod', { held }))!.hash).toBe(v2.hash);
    await expect(reader.readSnapshot('prod')).rejects.toThrow(/does not match its manifest/);
  });

  it('gives up with UNAVAILABLE when the bucket never matches its manifest', async () => {
    const opts = names();
    const publisher = await NatsConfigBucket.open(nc, { ...opts, create: true });
    await publisher.publish(buildSnapshot('prod', 1, routes(3)));
    const kv = await nc.jetstream().views.kv(opts.bucket);
    await kv.delete(resourceKvKey('prod', 'Route', 'ns-1/route.1'));
    const reader = await NatsConfigBucket.open(nc, { ...opts, barrierTimeoutMs: 300 });
    const error = await reader.readSnapshot('prod').catch((e: unknown) => e);
    expect(HubpoError.is(error, 'UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/Route\/ns-1\/route\.1/);
  });

  it('repairs leftovers of an interrupted publish when a new publisher starts', async () => {
    const opts = names();
    const first = await NatsConfigBucket.open(nc, { ...opts, create: true });
    await first.publish(buildSnapshot('prod', 1, routes(5)));
    // The first publisher died mid-publish of revision 2: one resource changed, one orphan added.
    const kv = await nc.jetstream().views.kv(opts.bucket);
    const interim = buildSnapshot('prod', 2, routes(5, 'interim'));
    await kv.put(
      resourceKvKey('prod', 'Route', 'ns-2/route.2'),
      storedResourceCodec.encode(interim.resources.get('Route/ns-2/route.2')!),
    );
    await kv.put(
      resourceKvKey('prod', 'Route', 'orphan'),
      storedResourceCodec.encode(interim.resources.get('Route/ns-3/route.3')!),
    );
    await kv.put(resourceKvKey('prod', 'Route', 'garbage'), Buffer.from('not protobuf at all'));

    // Its successor publishes the same content as revision 1 at revision 2.
    const second = await NatsConfigBucket.open(nc, { ...opts, create: true });
    const v2 = buildSnapshot('prod', 2, routes(5));
    expect(await second.publish(v2)).toMatchObject({ written: 1, deleted: 2 });
    const reader = await NatsConfigBucket.open(nc, { ...opts, barrierTimeoutMs: 1_000 });
    expect((await reader.readSnapshot('prod'))!.hash).toBe(v2.hash);
    expect((await kv.get(resourceKvKey('prod', 'Route', 'orphan')))?.operation).toBe('DEL');
  });

  it('verifies chunked blobs: a damaged chunk is corrupt, a missing one is waited for', async () => {
    const opts = names();
    const publisher = await NatsConfigBucket.open(nc, { ...opts, create: true, inlineLimitBytes: 4096 });
    await publisher.publish(buildSnapshot('prod', 1, [bigObject('big', 20_000), ...routes(2)]));
    const kv = await nc.jetstream().views.kv(opts.bucket);
    const [first, second] = await blobKeys(opts.bucket, 'prod');
    const reader = await NatsConfigBucket.open(nc, { ...opts, barrierTimeoutMs: 300 });

    const original = (await kv.get(second!))!.value;
    await kv.put(
      second!,
      original.map((byte) => byte ^ 1),
    );
    const damaged = await reader.readSnapshot('prod').catch((e: unknown) => e);
    expect(HubpoError.is(damaged, 'SNAPSHOT_CORRUPT')).toBe(true);

    await kv.put(second!, original);
    await kv.delete(first!);
    const missing = await reader.readSnapshot('prod').catch((e: unknown) => e);
    expect(HubpoError.is(missing, 'UNAVAILABLE')).toBe(true);
  });

  it('rewrites resources whose blob an older layout kept in the object store', async () => {
    const opts = names();
    const first = await NatsConfigBucket.open(nc, { ...opts, create: true });
    const v1 = buildSnapshot('prod', 1, [bigObject('huge', 1 * MiB), ...routes(2)]);
    await first.publish(v1);
    // What a publisher before ADR 0002's addendum wrote: a reference into OBJ_hubpo-config-blobs.
    const huge = v1.resources.get('PromptTemplate/huge')!;
    const kv = await nc.jetstream().views.kv(opts.bucket);
    await kv.put(
      resourceKvKey('prod', 'PromptTemplate', 'huge'),
      storedResourceCodec.encode({
        ...huge,
        payload: new Uint8Array(0),
        blob: { object: `prod.res.${huge.version}`, size: huge.payload.length, sha256: '0'.repeat(64) },
      }),
    );
    const reader = await NatsConfigBucket.open(nc, { ...opts, barrierTimeoutMs: 300 });
    const error = await reader.readSnapshot('prod').catch((e: unknown) => e);
    expect(HubpoError.is(error, 'UNAVAILABLE')).toBe(true); // not there: wait, keep serving

    const upgraded = await NatsConfigBucket.open(nc, { ...opts, create: true });
    const v2 = buildSnapshot('prod', 2, [bigObject('huge', 1 * MiB), ...routes(2)]);
    expect(await upgraded.publish(v2)).toMatchObject({ written: 1, offloaded: 1 });
    expect((await reader.readSnapshot('prod'))!.hash).toBe(v2.hash);
  });

  it('notices writes by anyone else between its own publishes and repairs them', async () => {
    const opts = names();
    const publisher = await NatsConfigBucket.open(nc, { ...opts, create: true });
    await publisher.publish(buildSnapshot('prod', 1, routes(4)));
    // Someone (a second publisher, an operator with `nats kv put`) changes a resource the next
    // revision leaves unchanged.
    const kv = await nc.jetstream().views.kv(opts.bucket);
    const foreign = buildSnapshot('prod', 9, routes(4, 'foreign')).resources.get('Route/ns-1/route.1')!;
    await kv.put(resourceKvKey('prod', 'Route', 'ns-1/route.1'), storedResourceCodec.encode(foreign));

    const objects = routes(4);
    objects[0] = { ...objects[0]!, value: { changed: true } };
    const v2 = buildSnapshot('prod', 2, objects);
    expect(await publisher.publish(v2)).toMatchObject({ written: 2 }); // the change and the repair
    const reader = await NatsConfigBucket.open(nc, { ...opts, barrierTimeoutMs: 1_000 });
    expect((await reader.readSnapshot('prod'))!.hash).toBe(v2.hash);
    // Without foreign writes the next publish trusts what it wrote and rewrites nothing.
    expect(await publisher.publish(buildSnapshot('prod', 3, objects))).toMatchObject({
      written: 0,
      deleted: 0,
    });
  });

  it('refuses to publish an older revision', async () => {
    const opts = names();
    const bucket = await NatsConfigBucket.open(nc, { ...opts, create: true });
    await bucket.publish(buildSnapshot('prod', 5, routes(2)));
    const older = await bucket.publish(buildSnapshot('prod', 4, routes(3))).catch((e: unknown) => e);
    expect(HubpoError.is(older, 'CONFLICT')).toBe(true);
    expect((await bucket.readManifest('prod'))!.revision).toBe(5);
    // The same revision may be republished (e.g. a new translator build renders it differently).
    await expect(bucket.publish(buildSnapshot('prod', 5, routes(2, 'v5b')))).resolves.toMatchObject({
      written: 2,
    });
  });

  it('replaces the manifest of another epoch whatever its revision, then orders revisions in the new one', async () => {
    const opts = names();
    const oldDb = await NatsConfigBucket.open(nc, { ...opts, create: true });
    await oldDb.publish(buildSnapshot('prod', 50, routes(3), 'epoch-old'));
    // A control plane on a recreated database: another publisher instance, revisions from 1.
    const newDb = await NatsConfigBucket.open(nc, { ...opts, create: true });
    const fresh = buildSnapshot('prod', 2, routes(1, 'fresh'), 'epoch-new');
    await expect(newDb.publish(fresh)).resolves.toMatchObject({ revision: 2, written: 1, deleted: 2 });
    const reader = await NatsConfigBucket.open(nc, opts);
    expect(await reader.readManifest('prod')).toMatchObject({ revision: 2, epoch: 'epoch-new' });
    const read = await reader.readSnapshot('prod');
    expect(read).toMatchObject({ revision: 2, epoch: 'epoch-new', hash: fresh.hash });
    const older = await newDb
      .publish(buildSnapshot('prod', 1, routes(2), 'epoch-new'))
      .catch((e: unknown) => e);
    expect(HubpoError.is(older, 'CONFLICT')).toBe(true);
    // A publisher older than epochs ("") is held to the revision order too.
    const legacy = await oldDb.publish(buildSnapshot('prod', 1, routes(2))).catch((e: unknown) => e);
    expect(HubpoError.is(legacy, 'CONFLICT')).toBe(true);
  });

  it('lets a gateway bind before the control plane has created the bucket', async () => {
    const opts = names();
    const reader = await NatsConfigBucket.open(nc, opts);
    await expect(reader.readSnapshot('prod')).rejects.toThrow();
    const publisher = await NatsConfigBucket.open(nc, { ...opts, create: true });
    expect(await reader.readSnapshot('prod')).toBeUndefined();
    const snap = buildSnapshot('prod', 1, routes(2));
    await publisher.publish(snap);
    expect((await reader.readSnapshot('prod'))!.hash).toBe(snap.hash);
  });
});
