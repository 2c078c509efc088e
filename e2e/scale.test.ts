import { startEchoServer } from '@hubpo/testkit';
import type { EchoServer } from '@hubpo/testkit';
import { eventually, httpGet } from './support/eventually.js';
import { route } from './support/factories.js';
import { Platform } from './support/platform.js';

const ROUTES = 10_000;
const CONCURRENCY = 32;

describe('10,000 routes', () => {
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

  it('build into one snapshot, publish over NATS and apply on a gateway', async () => {
    const gw = await platform.startGateway('nats', 'gw-scale');
    let next = 0;
    const failures: string[] = [];
    const worker = async (): Promise<void> => {
      while (next < ROUTES) {
        const i = next++;
        const res = await platform.admin.create(route(`r-${i}`, `/svc-${i}`, echo.url));
        if (res.status !== 201) failures.push(`r-${i}: ${res.status}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(failures).toEqual([]);

    await platform.controlPlane!.flush();
    const config = (await platform.admin.config()).body;
    const local = config.clusters.find((c: any) => c.cluster === 'local');
    expect(local.revision).toBe(config.revision);
    await eventually(
      async () => gw.gateway.revision() === config.revision,
      60_000,
      'the gateway to apply the snapshot',
    );

    const status = await httpGet(`${gw.gateway.adminUrl}/config`);
    expect(JSON.parse(status.body).resources).toBe(ROUTES);
    for (const i of [0, 4_321, ROUTES - 1]) {
      const res = await httpGet(`${gw.gateway.url}/svc-${i}/item`);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).path).toBe(`/svc-${i}/item`);
    }
    expect((await httpGet(`${gw.gateway.url}/svc-${ROUTES}`)).status).toBe(404);
  }, 300_000);
});
