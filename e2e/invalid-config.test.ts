import { startEchoServer } from '@hubpo/testkit';
import type { EchoServer } from '@hubpo/testkit';
import { ok } from './support/admin-client.js';
import { eventually, httpGet } from './support/eventually.js';
import { route } from './support/factories.js';
import { Platform } from './support/platform.js';

describe('bad config never reaches traffic', () => {
  let platform: Platform;
  let echo: EchoServer;
  let gatewayUrl: string;

  beforeAll(async () => {
    platform = await Platform.start();
    echo = await startEchoServer({ name: 'echo' });
    gatewayUrl = (await platform.startGateway('grpc')).gateway.url;
    ok(await platform.admin.create(route('good', '/good', echo.url)));
    await eventually(
      async () => (await httpGet(`${gatewayUrl}/good`)).status === 200,
      1000,
      'the good route',
    );
  });

  afterAll(async () => {
    await platform?.stop();
    await echo?.stop();
  });

  it('refuses an invalid Route with a 4xx naming the field, and the published config does not change', async () => {
    await platform.controlPlane!.flush();
    const before = (await platform.admin.config()).body;
    const bad = route('bad', '/bad', 'ftp://nowhere');
    bad.spec.rules[0].matches[0].path.type = 'Prefix';
    const res = await platform.admin.create(bad);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('HUBPO_ERR_VALIDATION');
    expect(res.body.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/spec/rules/0/matches/0/path/type' }),
        expect.objectContaining({ path: '/spec/rules/0/backends/0/url' }),
      ]),
    );
    expect((await platform.admin.get('Route', 'default', 'bad')).status).toBe(404);
    await platform.controlPlane!.flush();
    const after = (await platform.admin.config()).body;
    expect(after.revision).toBe(before.revision);
    expect(after.clusters).toEqual(before.clusters);
  });

  it('gives a Route whose regex fails translation an error status while other routes keep working', async () => {
    const broken = route('broken', '/x', echo.url);
    broken.spec.rules[0].matches[0].path = { type: 'RegularExpression', value: '^/broken/(unclosed' };
    ok(await platform.admin.create(broken));
    ok(await platform.admin.create(route('fresh', '/fresh', echo.url)));
    await eventually(
      async () => (await httpGet(`${gatewayUrl}/fresh`)).status === 200,
      1000,
      'the route created next to it',
    );
    expect((await httpGet(`${gatewayUrl}/good`)).status).toBe(200);
    expect((await httpGet(`${gatewayUrl}/broken/x`)).status).toBe(404);
    await eventually(
      async () => {
        const { body } = await platform.admin.get('Route', 'default', 'broken');
        const accepted = body.status?.conditions?.find((c: any) => c.type === 'Accepted');
        return (
          accepted?.status === 'False' &&
          accepted.reason === 'InvalidRegex' &&
          /path\.value/.test(accepted.message)
        );
      },
      2000,
      'Accepted=False with reason InvalidRegex',
    );
    const good = (await platform.admin.get('Route', 'default', 'good')).body;
    expect(good.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Accepted', status: 'True' }),
        expect.objectContaining({ type: 'Programmed', status: 'True' }),
      ]),
    );
  });
});
