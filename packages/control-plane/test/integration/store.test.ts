import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { credentials } from '@grpc/grpc-js';
import { initialDiscoveryRequest, loadConfigDiscovery } from '@hubpo/snapshot';
import type { DiscoveryResponse } from '@hubpo/snapshot';
import { createControlPlane, createLogger, defaultConfig } from '@hubpo/control-plane';
import {
  LogSink,
  TOKEN,
  eventually,
  route,
  startHarness,
  startTestPostgres,
  stopTestPostgres,
} from './harness.js';

jest.setTimeout(60_000);

beforeAll(startTestPostgres);
afterAll(stopTestPostgres);

describe('store', () => {
  it('migrates once when replicas start together, and again is a no-op', async () => {
    const first = await startHarness();
    try {
      // Two more control planes on the same database, started concurrently.
      const config = (adminAddr: string) =>
        defaultConfig({
          adminToken: TOKEN,
          databaseUrl: first.databaseUrl,
          adminAddr,
          grpcAddr: '127.0.0.1:0',
          resyncMs: 0,
        });
      const logs = new LogSink();
      const replicas = await Promise.all([
        createControlPlane(config('127.0.0.1:0'), { logger: createLogger('info', logs) }),
        createControlPlane(config('127.0.0.1:0'), { logger: createLogger('info', logs) }),
      ]);
      await Promise.all(replicas.map((r) => r.stop()));
      const migrations = await first.query<{ name: string }>('select name from hubpo_migration');
      expect(migrations.map((m) => m.name)).toEqual([
        '0001_initial',
        '0002_cluster_api',
        '0003_usage_records',
        '0004_usage_unpriced',
        '0005_admin_secrets',
        '0006_config_epoch',
      ]);
      expect(logs.lines.some((l) => l['msg'] === 'database migrated')).toBe(false);
    } finally {
      await first.stop();
    }
  });

  it('serves the snapshot published before a restart without republishing it', async () => {
    const first = await startHarness();
    await first.api('POST', '/api/v1/namespaces/shop/routes', route('orders'));
    await first.cp.flush();
    const published = (await first.api('GET', '/api/v1/config')).body.clusters[0];
    await first.cp.stop();

    const second = await createControlPlane(
      defaultConfig({
        adminToken: TOKEN,
        databaseUrl: first.databaseUrl,
        adminAddr: '127.0.0.1:0',
        grpcAddr: '127.0.0.1:0',
        resyncMs: 0,
      }),
      { logger: createLogger('silent') },
    );
    try {
      const { Client } = loadConfigDiscovery();
      const client = new Client(second.grpcAddress, credentials.createInsecure());
      const stream = client.streamConfig();
      const responses: DiscoveryResponse[] = [];
      stream.on('data', (r: DiscoveryResponse) => responses.push(r));
      stream.on('error', () => undefined);
      stream.write(
        initialDiscoveryRequest({
          id: 'gw',
          cluster: 'local',
          cloud: '',
          region: '',
          zone: '',
          build: '',
          labels: new Map(),
        }),
      );
      const response = await eventually(async () => responses[0]);
      expect(response).toMatchObject({
        full: true,
        revision: published.revision,
        snapshotHash: published.hash,
      });
      stream.end();
      client.close();
      // Nothing changed, so the first translation after the restart published nothing new.
      const db = new Kysely<{ snapshots: { cluster: string } }>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: first.databaseUrl, max: 1 }) }),
      });
      const rows = await db.selectFrom('snapshots').select('cluster').execute();
      expect(rows).toHaveLength(2); // the empty start snapshot and the one with the route
      await db.destroy();
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});
