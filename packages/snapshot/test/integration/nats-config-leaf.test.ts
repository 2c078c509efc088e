import type { NatsConnection } from 'nats';
import { HubpoError } from '@hubpo/core';
import {
  NatsConfigBucket,
  buildSnapshot,
  clusterBlobsFilter,
  ensureConfigMirror,
  kvStreamName,
} from '@hubpo/snapshot';
import type { ConfigManifest, Snapshot } from '@hubpo/snapshot';
import { startNats, startNatsLeaf } from '@hubpo/testkit';
import type { NatsProcess } from '@hubpo/testkit';
import { bigObject, connectNats, nextReconnect, routes, waitFor } from './helpers.js';

jest.setTimeout(60_000);

const KiB = 1024;
const MiB = 1024 * KiB;

/** Every payload byte of a snapshot, to show what "larger than 1 MiB" means here. */
function snapshotBytes(snapshot: Snapshot): number {
  let total = 0;
  for (const res of snapshot.resources.values()) total += res.payload.length;
  return total;
}

/**
 * The multi-region topology of ARCHITECTURE.md: the control plane publishes to the hub; a leaf
 * node per region mirrors the config bucket (one stream, blobs included) and gateways read only
 * from their leaf, through hub outages.
 */
describe('NatsConfigBucket through a leaf node mirror', () => {
  let hub: NatsProcess;
  let leaf: NatsProcess;
  let hubNc: NatsConnection;
  let leafNc: NatsConnection;

  beforeAll(async () => {
    hub = await startNats({ serverName: 'hub', jetstreamDomain: 'hub', leafnodes: {} });
    leaf = await startNatsLeaf(hub, { domain: 'eu' });
    hubNc = await connectNats(hub.url);
    leafNc = await connectNats(leaf.url);
  });

  afterAll(async () => {
    await leafNc?.close();
    await hubNc?.close();
    await leaf?.stop();
    await hub?.stop();
  });

  it('serves a >1 MiB snapshot with chunked blobs and manifest from the leaf, through a hub outage', async () => {
    const bucket = 'cfg-leaf';
    expect(await ensureConfigMirror(leafNc, { hubDomain: 'hub', bucket })).toBe('created');
    expect(await ensureConfigMirror(leafNc, { hubDomain: 'hub', bucket })).toBe('exists');

    // A small inline limit chunks both the large payloads and the 3,000-entry manifest.
    const publisher = await NatsConfigBucket.open(hubNc, {
      bucket,
      create: true,
      inlineLimitBytes: 64 * KiB,
    });
    const big = (tag: string) => [bigObject('big-a', 600 * KiB, tag), bigObject('big-b', 600 * KiB, tag)];
    const v1 = buildSnapshot('eu', 1, [...big('a'), ...routes(3_000)]);
    expect(snapshotBytes(v1)).toBeGreaterThan(MiB);
    expect(await publisher.publish(v1)).toMatchObject({ written: 3_002, offloaded: 2 });

    const reader = await NatsConfigBucket.open(leafNc, { bucket });
    const seen: ConfigManifest[] = [];
    const watch = reader.watchManifest('eu', (manifest) => {
      seen.push(manifest);
    });
    try {
      await waitFor(() => seen.some((m) => m.revision === 1), 15_000, 'the leaf mirror to hold revision 1');
      expect(seen.at(-1)!.resources.size).toBe(3_002); // the chunked manifest, resolved on the leaf
      expect((await reader.readSnapshot('eu'))!.hash).toBe(v1.hash);

      await hub.kill();
      // The leaf alone answers: a gateway that connects now reads the whole snapshot.
      const late = await connectNats(leaf.url);
      try {
        const lateReader = await NatsConfigBucket.open(late, { bucket });
        const read = await lateReader.readSnapshot('eu');
        expect(read!.hash).toBe(v1.hash);
        expect(read!.resources.get('PromptTemplate/big-b')!.payload.length).toBeGreaterThan(600 * KiB);
      } finally {
        await late.close();
      }

      const back = nextReconnect(hubNc);
      await hub.restart();
      await back;
      const v2 = buildSnapshot('eu', 2, [...big('b'), ...routes(3_000, 'v2')]);
      await publisher.publish(v2);
      await waitFor(() => seen.some((m) => m.revision === 2), 15_000, 'the leaf mirror to catch up');
      expect((await reader.readSnapshot('eu'))!.hash).toBe(v2.hash);
      expect(seen.map((m) => m.revision)).toEqual([1, 2]);

      // Blobs of revision 1 are collected once revision 3 is out, on the hub and in the mirror.
      const v3 = buildSnapshot('eu', 3, [...big('b'), ...routes(10)]);
      await publisher.publish(v3);
      await waitFor(() => seen.some((m) => m.revision === 3), 15_000, 'revision 3 on the leaf');
      const leafKv = await leafNc.jetstream().views.kv(bucket, { bindOnly: true });
      // The key listing reads the mirror while the hub's deletions may still be replicating (and
      // can name a key twice when it changes meanwhile): read it until it settled.
      const blobKeys = async (): Promise<string[]> => {
        const keys = new Set<string>();
        for await (const key of await leafKv.keys(clusterBlobsFilter('eu'))) keys.add(key);
        return [...keys];
      };
      const expected = [...v3.resources.values()]
        .filter((res) => res.payload.length > publisher.inlineLimitBytes)
        .reduce((sum, res) => sum + Math.ceil(res.payload.length / publisher.inlineLimitBytes), 0);
      const v1Versions = [...v1.resources.values()].map((res) => res.version);
      const ofV1 = (keys: readonly string[]) =>
        keys.filter((key) => v1Versions.some((version) => key.includes(version)));
      let chunks = await blobKeys();
      const deadline = Date.now() + 15_000;
      while (ofV1(chunks).length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        chunks = await blobKeys();
      }
      // big-a and big-b as of revision 2 (= 3); nothing of revision 1 is left.
      expect(chunks.filter((key) => key.startsWith('eu.blob.res.'))).toHaveLength(expected);
      expect(ofV1(chunks)).toEqual([]);
      // Revision 2's chunked manifest stays one publish longer, for readers still on it.
      expect(chunks.filter((key) => key.startsWith('eu.blob.manifest.')).length).toBeGreaterThan(0);
      expect((await reader.readSnapshot('eu'))!.hash).toBe(v3.hash);
    } finally {
      await watch.stop();
    }
  });

  it('refuses to take a stream that is not a mirror of the hub bucket for one', async () => {
    const jsm = await leafNc.jetstreamManager();
    await jsm.streams.add({ name: kvStreamName('cfg-local'), subjects: ['$KV.cfg-local.>'] });
    const error = await ensureConfigMirror(leafNc, { hubDomain: 'hub', bucket: 'cfg-local' }).catch(
      (e: unknown) => e,
    );
    expect(HubpoError.is(error, 'CONFLICT')).toBe(true);
    expect((await jsm.streams.info(kvStreamName('cfg-local'))).config.mirror).toBeUndefined();
  });
});
