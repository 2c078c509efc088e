import { startEchoServer, createTestPki } from '@hubpo/testkit';
import type { EchoServer, TestPki } from '@hubpo/testkit';
import { ok } from './support/admin-client.js';
import { eventually, httpGet } from './support/eventually.js';
import { route } from './support/factories.js';
import { Platform } from './support/platform.js';

/**
 * The planes over mutual TLS: the control plane serves ConfigDiscovery (and usage reporting) with
 * a certificate and asks gateways for theirs (`HUBPO_GRPC_TLS_*`); a gateway that trusts the CA
 * and shows a client certificate gets config, one without a certificate gets none.
 */
describe('gRPC between the planes over mutual TLS', () => {
  let pki: TestPki;
  let platform: Platform;
  let echo: EchoServer;

  beforeAll(async () => {
    pki = await createTestPki();
    echo = await startEchoServer({ name: 'tls' });
    platform = await Platform.start({
      controlPlane: {
        grpcTls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert },
      },
    });
    ok(await platform.admin.create(route('shop', '/shop', echo.url)));
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await echo?.stop();
    await pki?.remove();
  }, 60_000);

  it('gives config to a gateway with a client certificate and none to one without', async () => {
    const trusted = await platform.startGateway('grpc', 'gw-mtls', 'local', {
      grpcTls: { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey },
    });
    await eventually(
      async () => (await httpGet(`${trusted.gateway.url}/shop/x`)).status === 200,
      10_000,
      'the mTLS gateway to serve the route',
    );
    const listed = await platform.admin.request('GET', '/api/v1/gateways');
    expect(JSON.stringify(listed.body)).toContain('gw-mtls');

    const anonymous = await platform.startGateway('grpc', 'gw-no-cert', 'local', {
      grpcTls: { caFile: pki.caCert },
    });
    // Its handshake is refused (it shows no certificate): the driver reports the failure.
    await eventually(
      async () => {
        const res = await httpGet(`${anonymous.gateway.adminUrl}/config`);
        return /certificate/i.test(String(JSON.parse(res.body).driver?.lastError ?? ''));
      },
      10_000,
      'the gateway without a certificate to report the refused handshake',
    );
    expect(anonymous.gateway.revision()).toBeUndefined();
    expect((await httpGet(`${anonymous.gateway.url}/shop/x`)).status).toBe(503);
  });
});
