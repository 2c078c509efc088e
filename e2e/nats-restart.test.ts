import { startEchoServer } from '@hubpo/testkit';
import type { EchoServer } from '@hubpo/testkit';
import { ok } from './support/admin-client.js';
import { eventually, httpGet } from './support/eventually.js';
import { route } from './support/factories.js';
import { Platform } from './support/platform.js';

describe('NATS driver across a nats-server restart', () => {
  let platform: Platform;
  let echo: EchoServer;

  beforeAll(async () => {
    platform = await Platform.start({ nats: true });
    echo = await startEchoServer({ name: 'echo' });
  });

  afterAll(async () => {
    await platform?.stop();
    await echo?.stop();
  });

  it('gateways resume after the restart without missing a revision', async () => {
    const gateways = [
      await platform.startGateway('nats', 'gw-a'),
      await platform.startGateway('nats', 'gw-b'),
    ];
    ok(await platform.admin.create(route('r1', '/r1', echo.url)));
    for (const g of gateways) {
      await eventually(
        async () => (await httpGet(`${g.gateway.url}/r1`)).status === 200,
        1000,
        `r1 on ${g.nodeId}`,
      );
    }

    await platform.nats!.restart();
    // A change right after the restart, and one more once it settled: both must arrive.
    ok(await platform.admin.create(route('r2', '/r2', echo.url)));
    ok(await platform.admin.create(route('r3', '/r3', echo.url)));
    await platform.controlPlane!.flush();
    const latest = (await platform.admin.config()).body.revision;
    for (const g of gateways) {
      await eventually(
        async () => (g.gateway.revision() ?? 0) >= latest,
        10_000,
        `${g.nodeId} to reach ${latest}`,
      );
      for (const path of ['/r1', '/r2', '/r3'])
        expect((await httpGet(`${g.gateway.url}${path}`)).status).toBe(200);
    }
    await eventually(
      async () => {
        const { body } = await platform.admin.gateways();
        return ['gw-a', 'gw-b'].every(
          (id) => body.items.find((x: any) => x.nodeId === id)?.appliedRevision >= latest,
        );
      },
      5000,
      'ACKs over NATS to be recorded',
    );
  });
});
