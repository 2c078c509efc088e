import { startEchoServer } from '@hubpo/testkit';
import type { EchoServer } from '@hubpo/testkit';
import { AdminClient, ok } from './support/admin-client.js';
import { eventually, httpGet } from './support/eventually.js';
import { route } from './support/factories.js';
import { Platform } from './support/platform.js';

describe('the gateway keeps serving when the control plane is down', () => {
  let platform: Platform;
  let echo: EchoServer;

  beforeAll(async () => {
    platform = await Platform.start();
    echo = await startEchoServer({ name: 'echo' });
  });

  afterAll(async () => {
    await platform?.stop();
    await echo?.stop();
  });

  it('serves through an outage and a gateway restart, then catches up with changes made meanwhile', async () => {
    let gw = await platform.startGateway('grpc', 'gw-outage');
    ok(await platform.admin.create(route('orders', '/orders', echo.url)));
    await eventually(async () => (await httpGet(`${gw.gateway.url}/orders`)).status === 200, 1000, 'orders');
    const appliedBefore = gw.gateway.revision();

    await platform.stopControlPlane();
    expect((await httpGet(`${gw.gateway.url}/orders/1`)).status).toBe(200);

    // Restart the gateway while nothing can reach the control plane: it boots from its file.
    await gw.gateway.stop();
    gw = await platform.startGateway('grpc', 'gw-outage');
    expect(gw.gateway.ready()).toBe(true);
    expect(gw.gateway.revision()).toBe(appliedBefore);
    expect((await httpGet(`${gw.gateway.url}/orders/2`)).status).toBe(200);
    const ready = await httpGet(`${gw.gateway.adminUrl}/readyz`);
    expect(ready.status).toBe(200);

    // Changes are made meanwhile by another control plane replica on the same database, which
    // this gateway is not connected to.
    const replica = await platform.startControlPlane({ adminAddr: '127.0.0.1:0', grpcAddr: '127.0.0.1:0' });
    const replicaAdmin = new AdminClient(replica.adminUrl, platform.token);
    ok(await replicaAdmin.create(route('invoices', '/invoices', echo.url)));
    ok(await replicaAdmin.delete('Route', 'default', 'orders'));
    await replica.stop();
    expect((await httpGet(`${gw.gateway.url}/orders/3`)).status).toBe(200);

    // The control plane the gateway knows comes back on its address: the gateway catches up.
    await platform.startControlPlane();
    await eventually(
      async () =>
        (await httpGet(`${gw.gateway.url}/invoices`)).status === 200 &&
        (await httpGet(`${gw.gateway.url}/orders/4`)).status === 404,
      5000,
      'the gateway to catch up',
    );
  });
});
