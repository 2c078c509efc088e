import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import { NatsConfigBucket, clusterBlobsFilter, ensureConfigMirror } from '@hubpo/snapshot';
import { startEchoServer, startNatsLeaf } from '@hubpo/testkit';
import type { EchoServer, NatsProcess } from '@hubpo/testkit';
import { ok } from './support/admin-client.js';
import { eventually, httpGet } from './support/eventually.js';
import { route } from './support/factories.js';
import type { GatewayHandle } from './support/platform.js';
import { Platform } from './support/platform.js';

const REGIONS = ['eu', 'us'] as const;
type Region = (typeof REGIONS)[number];

/**
 * A Route of about `bytes` of JSON: rule 0 serves `/<name>`, the other rules carry long header
 * matches (what makes it large) on paths nobody requests.
 */
function bigRoute(name: string, upstreamUrl: string, bytes: number): any {
  const filler = 'f'.repeat(4000);
  const rules = [
    { matches: [{ path: { type: 'PathPrefix', value: `/${name}` } }], backends: [{ url: upstreamUrl }] },
  ];
  for (let i = 1; rules.length * 4100 < bytes; i++) {
    rules.push({
      matches: [
        {
          path: { type: 'PathPrefix', value: `/${name}-${i}` },
          headers: [{ name: 'x-filler', value: `${i}${filler}` }],
        },
      ],
      backends: [{ url: upstreamUrl }],
    } as any);
  }
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Route',
    metadata: { name, namespace: 'default' },
    spec: { rules },
  };
}

/**
 * ARCHITECTURE.md "Multi-cluster and multi-cloud" over NATS: the control plane publishes to a hub
 * nats-server; each region runs a leaf node with its own JetStream domain and a mirror of the
 * config bucket (the only stream gateways need, large values included); gateways read from their
 * leaf only. The hub goes down: gateways keep serving, a restarted or new gateway serves from its
 * last-known-good file or the mirror; the hub comes back: every region catches up and the
 * control plane hears from every gateway again.
 */
describe('NATS leaf nodes per region through a hub outage', () => {
  let platform: Platform;
  let echo: EchoServer;
  const leaves = new Map<Region, NatsProcess>();
  const gateways = new Map<string, { handle: GatewayHandle; region: Region }>();
  /** Every revision each gateway was seen serving, in order. */
  const served = new Map<string, number[]>();
  let sampler: NodeJS.Timeout | undefined;

  const startGateway = async (nodeId: string, region: Region): Promise<GatewayHandle> => {
    const leaf = leaves.get(region)!;
    const handle = await platform.startGateway('nats', nodeId, region, { natsUrl: leaf.url });
    gateways.set(nodeId, { handle, region });
    return handle;
  };
  const sample = (): void => {
    for (const [nodeId, { handle }] of gateways) {
      const revision = handle.gateway.revision();
      if (revision === undefined) continue;
      const seen = served.get(nodeId) ?? [];
      if (seen.at(-1) !== revision) seen.push(revision);
      served.set(nodeId, seen);
    }
  };
  const serves = async (path: string, expected = 200): Promise<void> => {
    for (const [nodeId, { handle }] of gateways) {
      await eventually(
        async () => (await httpGet(`${handle.gateway.url}${path}`)).status === expected,
        15_000,
        `${path} -> ${expected} on ${nodeId}`,
      );
    }
  };
  /** The revision the control plane published for each region. */
  const published = async (): Promise<Map<string, number>> => {
    const { body } = await platform.admin.config();
    return new Map(body.clusters.map((c: any) => [c.cluster, c.revision]));
  };
  /** Every gateway serves its region's published revision, and the control plane knows it. */
  const converged = async (): Promise<boolean> => {
    const revisions = await published();
    const { body } = await platform.admin.gateways();
    return [...gateways].every(([nodeId, { handle, region }]) => {
      const want = revisions.get(region);
      const recorded = body.items.find((g: any) => g.nodeId === nodeId);
      return (
        want !== undefined &&
        handle.gateway.revision() === want &&
        recorded?.appliedRevision === want &&
        recorded?.cluster === region
      );
    });
  };

  /** What the mirror of a region's leaf holds: the snapshot's payload bytes and blob chunk keys. */
  const mirrored = async (region: Region): Promise<{ bytes: number; chunks: number }> => {
    const nc = await connect({ servers: leaves.get(region)!.url });
    try {
      const snapshot = await (await NatsConfigBucket.open(nc)).readSnapshot(region);
      let bytes = 0;
      for (const res of snapshot?.resources.values() ?? []) bytes += res.payload.length;
      const kv = await nc.jetstream().views.kv('hubpo-config', { bindOnly: true });
      const chunks: string[] = [];
      for await (const key of await kv.keys(clusterBlobsFilter(region))) chunks.push(key);
      return { bytes, chunks: chunks.length };
    } finally {
      await nc.close();
    }
  };

  beforeAll(async () => {
    platform = await Platform.start({
      natsOptions: { serverName: 'hub', jetstreamDomain: 'hub', leafnodes: {} },
    });
    echo = await startEchoServer({ name: 'echo' });
    for (const region of REGIONS) {
      const leaf = await startNatsLeaf(platform.nats!, { domain: region });
      leaves.set(region, leaf);
      // What the Helm chart's mirror Job does in each member cluster.
      const nc: NatsConnection = await connect({ servers: leaf.url });
      try {
        await ensureConfigMirror(nc, { hubDomain: 'hub' });
      } finally {
        await nc.close();
      }
    }
    sampler = setInterval(sample, 5);
  });

  afterAll(async () => {
    if (sampler !== undefined) clearInterval(sampler);
    await platform?.stop();
    for (const leaf of leaves.values()) await leaf.stop();
    await echo?.stop();
  });

  it('keeps serving through the outage and catches up in every region afterwards', async () => {
    await startGateway('gw-eu-1', 'eu');
    await startGateway('gw-eu-2', 'eu');
    await startGateway('gw-us-1', 'us');

    // Two ~600 KB routes: a snapshot over 1 MiB, each route's payload stored as chunks.
    ok(await platform.admin.create(route('r1', '/r1', echo.url)));
    ok(await platform.admin.create(bigRoute('big-a', echo.url, 600_000)));
    ok(await platform.admin.create(bigRoute('big-b', echo.url, 600_000)));
    for (const path of ['/r1', '/big-a/x', '/big-b/x']) await serves(path);
    await eventually(converged, 15_000, 'every gateway to ACK through its leaf');
    const before = await published();
    for (const region of REGIONS) {
      const { bytes, chunks } = await mirrored(region);
      expect(bytes).toBeGreaterThan(1024 * 1024);
      expect(chunks).toBeGreaterThanOrEqual(4); // two payloads over the 512 KiB inline limit
    }

    // The hub crashes. Leaves, gateways and the control plane stay up.
    await platform.nats!.kill();
    for (const path of ['/r1', '/big-a/x', '/big-b/x']) await serves(path);
    // A gateway restarted now boots from its last-known-good file ...
    await gateways.get('gw-eu-2')!.handle.gateway.stop();
    const restarted = await startGateway('gw-eu-2', 'eu');
    expect(restarted.gateway.revision()).toBe(before.get('eu'));
    // ... and a brand-new one (no file) reads the >1 MiB snapshot from its leaf's mirror alone.
    const fresh = await startGateway('gw-us-2', 'us');
    await eventually(
      async () => fresh.gateway.revision() === before.get('us'),
      15_000,
      'gw-us-2 from the mirror',
    );
    for (const path of ['/r1', '/big-a/x', '/big-b/x']) await serves(path);

    // A change during the outage is accepted by the control plane but cannot reach anyone yet.
    const euOnly = route('r2', '/r2', echo.url);
    euOnly.spec.placement = { clusters: ['eu'] };
    ok(await platform.admin.create(euOnly));
    await platform.controlPlane!.flush();
    await serves('/r2', 404);
    // gw-us-2's ACK went nowhere: the control plane has never heard of it.
    const unheard = (await platform.admin.gateways()).body.items.map((g: any) => g.nodeId);
    expect(unheard).not.toContain('gw-us-2');

    // The hub is back: the control plane republishes, the mirrors catch up, gateways apply, and
    // ACKs and heartbeats lost in the outage are restated (gw-us-2 applied while nobody heard).
    await platform.nats!.restart();
    await eventually(
      converged,
      20_000,
      'every region to catch up and the control plane to hear from every gateway',
    );
    // Region us got no new revision, so only gw-us-2's heartbeats can have told the control plane.
    expect((await published()).get('us')).toBe(before.get('us'));
    for (const [nodeId, { handle, region }] of gateways) {
      const expected = region === 'eu' ? 200 : 404;
      expect({ nodeId, status: (await httpGet(`${handle.gateway.url}/r2`)).status }).toEqual({
        nodeId,
        status: expected,
      });
    }

    // And the next change reaches both regions.
    ok(await platform.admin.create(route('r3', '/r3', echo.url)));
    await serves('/r3');
    await eventually(converged, 15_000, 'revision after the outage to be ACKed everywhere');
    const after = await published();
    for (const region of REGIONS) expect(after.get(region)!).toBeGreaterThan(before.get(region)!);
    for (const path of ['/r1', '/big-a/x', '/big-b/x']) await serves(path);

    // Never a step back: each gateway's revisions, as sampled, only went up.
    sample();
    for (const nodeId of gateways.keys()) {
      const seen = served.get(nodeId) ?? [];
      expect({ nodeId, seen }).toEqual({ nodeId, seen: [...seen].sort((a, b) => a - b) });
      expect(seen.at(-1)).toBe(after.get(gateways.get(nodeId)!.region));
    }
  }, 60_000);
});
