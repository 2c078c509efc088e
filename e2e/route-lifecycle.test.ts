import { startEchoServer } from '@hubpo/testkit';
import type { EchoServer } from '@hubpo/testkit';
import { ok } from './support/admin-client.js';
import { eventually, httpGet } from './support/eventually.js';
import { route } from './support/factories.js';
import { Platform } from './support/platform.js';
import type { Driver } from './support/platform.js';

// ARCHITECTURE.md: config reaches every gateway in under a second.
const CONFIG_DEADLINE_MS = 1000;

describe.each<Driver>(['grpc', 'nats'])('a Route through the admin API, %s driver', (driver) => {
  let platform: Platform;
  let blue: EchoServer;
  let green: EchoServer;
  let gatewayUrl: string;

  beforeAll(async () => {
    platform = await Platform.start({ nats: driver === 'nats' });
    blue = await startEchoServer({ name: 'blue' });
    green = await startEchoServer({ name: 'green' });
    gatewayUrl = (await platform.startGateway(driver)).gateway.url;
  });

  afterAll(async () => {
    await platform?.stop();
    await blue?.stop();
    await green?.stop();
  });

  it('serves a created route, then its update, then 404 after delete, each within a second', async () => {
    ok(await platform.admin.create(route('shop', '/shop', blue.url)));
    await eventually(
      async () => {
        const res = await httpGet(`${gatewayUrl}/shop/cart`);
        return res.status === 200 && JSON.parse(res.body).server === 'blue';
      },
      CONFIG_DEADLINE_MS,
      'the created route to serve',
    );

    ok(
      await platform.admin.replace(
        route('shop', '/shop', green.url, {
          filters: { requestHeaders: { set: [{ name: 'x-release', value: 'green' }] } },
        }),
      ),
    );
    await eventually(
      async () => {
        const res = await httpGet(`${gatewayUrl}/shop/cart`);
        const echoed = JSON.parse(res.body);
        return res.status === 200 && echoed.server === 'green' && echoed.headers['x-release'] === 'green';
      },
      CONFIG_DEADLINE_MS,
      'the updated route to serve',
    );

    ok(await platform.admin.delete('Route', 'default', 'shop'));
    await eventually(
      async () => {
        const res = await httpGet(`${gatewayUrl}/shop/cart`);
        return res.status === 404 && JSON.parse(res.body).error.code === 'HUBPO_ERR_ROUTE_NOT_FOUND';
      },
      CONFIG_DEADLINE_MS,
      'the deleted route to stop serving',
    );
  });

  it('records the revision the gateway applied, visible through the admin API', async () => {
    ok(await platform.admin.create(route('ledger', '/ledger', blue.url)));
    await eventually(
      async () => (await httpGet(`${gatewayUrl}/ledger`)).status === 200,
      CONFIG_DEADLINE_MS,
      'ledger',
    );
    const revision = (await platform.admin.config()).body.revision;
    await eventually(
      async () => {
        const { body } = await platform.admin.gateways();
        const gw = body.items.find((g: any) => g.nodeId === 'gw-0');
        return gw !== undefined && gw.appliedRevision >= revision && gw.connected === true;
      },
      5000,
      'the gateway ACK to be recorded',
    );
  });
});
