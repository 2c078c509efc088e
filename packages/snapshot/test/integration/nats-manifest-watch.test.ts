import type { NatsConnection } from 'nats';
import { NatsConfigBucket, buildSnapshot } from '@hubpo/snapshot';
import type { ConfigManifest, ManifestWatch } from '@hubpo/snapshot';
import { startNats } from '@hubpo/testkit';
import type { NatsProcess } from '@hubpo/testkit';
import { connectNats, nextReconnect, routes, waitFor } from './helpers.js';

jest.setTimeout(120_000);

describe('NatsConfigBucket.watchManifest', () => {
  let nats: NatsProcess;
  let publisherConn: NatsConnection;
  let gatewayConn: NatsConnection;
  let watch: ManifestWatch | undefined;

  beforeEach(async () => {
    nats = await startNats();
    publisherConn = await connectNats(nats.url);
    gatewayConn = await connectNats(nats.url);
  });
  afterEach(async () => {
    await watch?.stop();
    watch = undefined;
    await gatewayConn?.close();
    await publisherConn?.close();
    await nats?.stop();
  });

  const revisions = (seen: ConfigManifest[]) => seen.map((m) => m.revision);

  it('delivers the current manifest, then each new revision once', async () => {
    const publisher = await NatsConfigBucket.open(publisherConn, { create: true });
    await publisher.publish(buildSnapshot('prod', 1, routes(3)));
    await publisher.publish(buildSnapshot('staging', 1, routes(2)));
    const gateway = await NatsConfigBucket.open(gatewayConn);
    const seen: ConfigManifest[] = [];
    watch = gateway.watchManifest('prod', (m) => void seen.push(m));
    await waitFor(() => seen.length === 1, 10_000, 'the current manifest');
    expect(seen[0]).toMatchObject({ cluster: 'prod', revision: 1 });
    expect(seen[0]!.resources.size).toBe(3);

    await publisher.publish(buildSnapshot('prod', 2, routes(4)));
    await publisher.publish(buildSnapshot('prod', 2, routes(4))); // identical: no new manifest content
    await publisher.publish(buildSnapshot('staging', 2, routes(1))); // another cluster
    await waitFor(() => seen.length >= 2, 10_000, 'revision 2');
    await new Promise((r) => setTimeout(r, 200));
    expect(revisions(seen)).toEqual([1, 2]);
    const snap = await gateway.readSnapshot('prod');
    expect(snap!.revision).toBe(2);
  });

  // Resumption must be prompt: without the watch's own reconnect handling, the client library
  // only notices a lost consumer after missed idle heartbeats (10 s or more), past these waits.
  const RESUME_MS = 5_000;

  it('resumes after the server restarts, and after it crashes', async () => {
    const publisher = await NatsConfigBucket.open(publisherConn, { create: true });
    await publisher.publish(buildSnapshot('prod', 1, routes(3)));
    const gateway = await NatsConfigBucket.open(gatewayConn);
    const seen: ConfigManifest[] = [];
    watch = gateway.watchManifest('prod', (m) => void seen.push(m));
    await waitFor(() => seen.length === 1, 10_000, 'the current manifest');

    let back = nextReconnect(publisherConn);
    await nats.restart();
    await back;
    await publisher.publish(buildSnapshot('prod', 2, routes(4)));
    await waitFor(() => revisions(seen).includes(2), RESUME_MS, 'revision 2 after a restart');

    back = nextReconnect(publisherConn);
    await nats.kill();
    await nats.restart();
    await back;
    await publisher.publish(buildSnapshot('prod', 3, routes(5)));
    await waitFor(() => revisions(seen).includes(3), RESUME_MS, 'revision 3 after a crash');
    expect(revisions(seen)).toEqual([1, 2, 3]);
    expect((await gateway.readSnapshot('prod'))!.revision).toBe(3);
  });

  it('catches up on what was published while it was cut off', async () => {
    const publisher = await NatsConfigBucket.open(publisherConn, { create: true });
    await publisher.publish(buildSnapshot('prod', 1, routes(3)));
    const gateway = await NatsConfigBucket.open(gatewayConn);
    const seen: ConfigManifest[] = [];
    watch = gateway.watchManifest('prod', (m) => void seen.push(m));
    await waitFor(() => seen.length === 1, 10_000, 'the current manifest');

    // The gateway loses its connection (its server bounce) while the publisher, on its own
    // connection, keeps publishing once the server is back.
    const back = nextReconnect(publisherConn);
    await nats.kill();
    await nats.restart();
    await back;
    for (let revision = 2; revision <= 4; revision += 1) {
      await publisher.publish(buildSnapshot('prod', revision, routes(revision)));
    }
    await waitFor(() => revisions(seen).includes(4), RESUME_MS, 'revision 4');
    expect(revisions(seen).at(-1)).toBe(4);
  });

  it('runs callbacks one at a time and skips to the latest manifest', async () => {
    const publisher = await NatsConfigBucket.open(publisherConn, { create: true });
    await publisher.publish(buildSnapshot('prod', 1, routes(1)));
    const gateway = await NatsConfigBucket.open(gatewayConn);
    const seen: number[] = [];
    let active = 0;
    let maxActive = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    watch = gateway.watchManifest('prod', async (m) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      if (m.revision === 1) await gate; // a slow apply
      seen.push(m.revision);
      active -= 1;
    });
    await waitFor(() => active === 1, 10_000, 'the first callback');
    for (let revision = 2; revision <= 5; revision += 1) {
      await publisher.publish(buildSnapshot('prod', revision, routes(1, `v${revision}`)));
    }
    await new Promise((r) => setTimeout(r, 300));
    release();
    await waitFor(() => seen.includes(5), 10_000, 'revision 5');
    expect(maxActive).toBe(1);
    expect(seen).toEqual([1, 5]);
  });
});
