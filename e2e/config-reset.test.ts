import { startEchoServer, startPostgres } from '@hubpo/testkit';
import type { EchoServer, PostgresProcess } from '@hubpo/testkit';
import { ok } from './support/admin-client.js';
import { eventually, httpGet } from './support/eventually.js';
import { route } from './support/factories.js';
import { Platform } from './support/platform.js';
import type { GatewayHandle } from './support/platform.js';

jest.setTimeout(60_000);

/**
 * ADR 0008: the control plane's database is recreated (revisions start again at 1) while
 * gateways run. Without config epochs every gateway would ignore the new, lower revisions.
 */
describe('a control plane whose database was recreated', () => {
  let platform: Platform;
  let echo: EchoServer;
  let freshPostgres: PostgresProcess | undefined;

  beforeAll(async () => {
    platform = await Platform.start({ nats: true });
    echo = await startEchoServer({ name: 'echo' });
  });

  afterAll(async () => {
    await platform?.stop();
    await freshPostgres?.stop();
    await echo?.stop();
  });

  const status = async (g: GatewayHandle, path: string): Promise<number> =>
    (await httpGet(`${g.gateway.url}${path}`)).status;

  it('is followed by running gateways (gRPC and NATS) and by one restarted from an old-epoch file', async () => {
    const grpc = await platform.startGateway('grpc', 'gw-grpc');
    const nats = await platform.startGateway('nats', 'gw-nats');
    let restarted = await platform.startGateway('grpc', 'gw-lkg');
    const gateways = [grpc, nats, restarted];

    // Several writes, so the old database's revision is well above what the new one reaches.
    for (const name of ['old-a', 'old-b', 'old-c', 'old-d']) {
      ok(await platform.admin.create(route(name, `/${name}`, echo.url)));
    }
    await platform.controlPlane!.flush();
    const oldRevision = (await platform.admin.config()).body.revision as number;
    for (const g of gateways) {
      await eventually(
        async () => g.gateway.revision() === oldRevision,
        10_000,
        `${g.nodeId} at ${oldRevision}`,
      );
      expect(await status(g, '/old-d')).toBe(200);
    }

    // gw-lkg goes down holding the old epoch in its last-known-good file.
    await restarted.gateway.stop();

    // The database is replaced by an empty one (a new server, as after losing the old one).
    await platform.stopControlPlane();
    freshPostgres = await startPostgres();
    const freshUrl = await freshPostgres.createDatabase();
    await platform.startControlPlane({ databaseUrl: freshUrl });
    ok(await platform.admin.create(route('fresh', '/fresh', echo.url)));
    await platform.controlPlane!.flush();
    const newRevision = (await platform.admin.config()).body.revision as number;
    expect(newRevision).toBeLessThan(oldRevision);

    for (const g of [grpc, nats]) {
      await eventually(
        async () => g.gateway.revision() === newRevision && (await status(g, '/fresh')) === 200,
        10_000,
        `${g.nodeId} to adopt revision ${newRevision} of the new database`,
      );
      expect(await status(g, '/old-a')).toBe(404);
    }

    // Restarted from its old-epoch file: serves the old config at once, then adopts the new one.
    restarted = await platform.startGateway('grpc', 'gw-lkg');
    expect(restarted.gateway.ready()).toBe(true);
    await eventually(
      async () => restarted.gateway.revision() === newRevision && (await status(restarted, '/fresh')) === 200,
      10_000,
      'gw-lkg to adopt the new database config',
    );
    expect(await status(restarted, '/old-a')).toBe(404);

    // ACKs of the new epoch are recorded; none of the old revision is taken for applied.
    await eventually(
      async () => {
        const { body } = await platform.admin.gateways();
        return ['gw-grpc', 'gw-nats', 'gw-lkg'].every(
          (id) => body.items.find((x: any) => x.nodeId === id)?.appliedRevision === newRevision,
        );
      },
      5000,
      'ACKs of the new epoch to be recorded',
    );
  });
});
