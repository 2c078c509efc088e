import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { NatsConfigBucket, publishAck } from '@hubpo/snapshot';
import type { ConfigAck } from '@hubpo/snapshot';
import { startNats } from '@hubpo/testkit';
import type { NatsProcess } from '@hubpo/testkit';
import { eventually, route, startHarness, startTestPostgres, stopTestPostgres } from './harness.js';
import type { Harness } from './harness.js';

jest.setTimeout(90_000);

/** ADR 0008: every database has its own config epoch, stamped on what the control plane publishes. */
describe('config epochs', () => {
  let nats: NatsProcess;
  let nc: NatsConnection;
  const harnesses: Harness[] = [];

  beforeAll(async () => {
    await startTestPostgres();
    nats = await startNats();
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    for (const h of harnesses) await h.stop().catch(() => undefined);
    await nc?.close();
    await nats?.stop();
    await stopTestPostgres();
  });

  const start = async (databaseUrl?: string): Promise<Harness> => {
    const h = await startHarness({
      natsUrl: nats.url,
      ...(databaseUrl === undefined ? {} : { databaseUrl }),
    });
    harnesses.push(h);
    return h;
  };
  const epochOf = async (h: Harness): Promise<string> =>
    (await h.query<{ epoch: string }>('select epoch from config_revision'))[0]!.epoch;
  const current = async (h: Harness): Promise<{ revision: number; hash: string }> =>
    (await h.api('GET', '/api/v1/config')).body.clusters[0] as { revision: number; hash: string };
  const manifest = async (revision: number) => {
    const bucket = await eventually(() => NatsConfigBucket.open(nc), 10_000, 'the config bucket');
    return eventually(async () => {
      const m = await bucket.readManifest('local');
      return m?.revision === revision ? m : undefined;
    });
  };
  const gateway = async (h: Harness, nodeId: string) =>
    ((await h.api('GET', '/api/v1/gateways')).body.items as Record<string, unknown>[]).find(
      (g) => g['nodeId'] === nodeId,
    );
  const ack = (nodeId: string, served: { revision: number; hash: string }, epoch: string): ConfigAck => ({
    nodeId,
    cluster: 'local',
    revision: served.revision,
    hash: served.hash,
    ok: true,
    appliedAtUnixMs: Date.now(),
    heartbeat: false,
    rejectedRevision: 0,
    rejectedHash: '',
    epoch,
  });

  it('keeps the epoch of a database across restarts and gives a recreated one a new epoch', async () => {
    const first = await start();
    const epoch = await epochOf(first);
    expect(epoch).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    for (const name of ['a', 'b', 'c']) {
      await first.api('POST', '/api/v1/namespaces/shop/routes', route(name));
    }
    await first.cp.flush();
    const old = await current(first);
    expect(await manifest(old.revision)).toMatchObject({ epoch, hash: old.hash });
    await first.cp.stop();

    // (`query` of a harness reads the database it created, so the first harness reads this one.)
    const restarted = await start(first.databaseUrl);
    expect(await epochOf(first)).toBe(epoch);
    await restarted.cp.stop();

    // A new database: its revisions start again, below what NATS and the gateway hold.
    const fresh = await start();
    const freshEpoch = await epochOf(fresh);
    expect(freshEpoch).not.toBe(epoch);
    await fresh.api('POST', '/api/v1/namespaces/shop/routes', route('fresh'));
    await fresh.cp.flush();
    const now = await current(fresh);
    expect(now.revision).toBeLessThan(old.revision);
    expect(await manifest(now.revision)).toMatchObject({ epoch: freshEpoch, hash: now.hash });

    // A gateway still serving the old database's revision is not counted as having applied it.
    publishAck(nc, ack('gw-old', old, epoch));
    await nc.flush();
    const stranded = await eventually(async () => gateway(fresh, 'gw-old'));
    expect(stranded).toMatchObject({ appliedRevision: 0, appliedHash: '', connected: true });
    expect(fresh.logs.lines.some((l) => l['gatewayEpoch'] === epoch)).toBe(true);

    publishAck(nc, ack('gw-old', now, freshEpoch));
    await nc.flush();
    await eventually(async () =>
      (await gateway(fresh, 'gw-old'))?.['appliedRevision'] === now.revision ? true : undefined,
    );

    // A gateway older than epochs ("") is taken at its word, as before.
    publishAck(nc, ack('gw-legacy', now, ''));
    await nc.flush();
    await eventually(async () =>
      (await gateway(fresh, 'gw-legacy'))?.['appliedRevision'] === now.revision ? true : undefined,
    );
  });

  it('logs an error when the revision goes back within one epoch (a restored backup)', async () => {
    const h = await start();
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('one'));
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('two'));
    await h.cp.flush();
    // What a restore of an older dump of the same database looks like.
    expect((await current(h)).revision).toBe(2);
    await h.query('update config_revision set revision = 0');
    await h.api('POST', '/api/v1/namespaces/shop/routes', route('three'));
    await h.cp.flush();
    const line = h.logs.lines.find((l) =>
      String(l['msg']).startsWith('config revision went back within one epoch'),
    );
    expect(line).toMatchObject({ revision: 1, previous: 2, epoch: await epochOf(h) });
  });
});
