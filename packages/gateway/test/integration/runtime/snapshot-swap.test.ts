import { startEchoServer } from '@hubpo/testkit';
import type { EchoResponse, EchoServer } from '@hubpo/testkit';
import type { ConfigObject, RouteConfig } from '@hubpo/snapshot';
import {
  exact,
  prefix,
  proxyRule,
  rateLimitPolicy,
  route,
} from '../../../src/runtime/testdata/config-factories.js';
import { httpGet, respondWith, startGateway, startUpstream } from './runtime-harness.js';

describe('runtime: state across snapshot swaps', () => {
  let echo: EchoServer;

  beforeAll(async () => {
    echo = await startEchoServer({ name: 'good' });
  });
  afterAll(() => echo.stop());

  it('keeps an exhausted token bucket empty after a swap', async () => {
    const objects = (extraPath: string): ConfigObject[] => [
      route('ns/r', [proxyRule([echo.url], { matches: [prefix('/'), prefix(extraPath)] })]),
      rateLimitPolicy('ns/limit', [{ kind: 'route', id: 'ns/r' }], { requests: 1, windowMs: 60_000 }),
    ];
    const gateway = await startGateway(objects('/a'));
    try {
      expect((await fetch(`${gateway.url}/`)).status).toBe(200);
      expect((await fetch(`${gateway.url}/`)).status).toBe(429);
      gateway.swap(objects('/b'));
      expect(gateway.runtime.revision).toBe(2);
      expect((await fetch(`${gateway.url}/`)).status).toBe(429);
      // A new policy id is a new bucket.
      gateway.swap([
        route('ns/r', [proxyRule([echo.url])]),
        rateLimitPolicy('ns/other', [{ kind: 'route', id: 'ns/r' }], { requests: 1, windowMs: 60_000 }),
      ]);
      expect((await fetch(`${gateway.url}/`)).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('keeps a backend ejected after a swap', async () => {
    const failing = await startUpstream(respondWith(500));
    const objects = (path: string): ConfigObject[] => [
      route(
        'ns/r',
        [
          proxyRule([failing.url, echo.url], {
            matches: [prefix(path)],
            retry: { attempts: 0, backoffMs: 0, codes: [] },
          }),
        ],
        {
          passiveHealth: { consecutiveFailures: 1, ejectionMs: 60_000 },
        },
      ),
    ];
    const gateway = await startGateway(objects('/'));
    try {
      expect((await fetch(`${gateway.url}/x`)).status).toBe(500);
      gateway.swap(objects('/x'));
      for (let i = 0; i < 4; i++) expect((await fetch(`${gateway.url}/x`)).status).toBe(200);
      expect(failing.hits).toBe(1);
    } finally {
      await gateway.close();
      await failing.close();
    }
  });

  it('finishes in-flight requests on the retired runtime', async () => {
    const gateway = await startGateway([route('ns/r', [proxyRule([echo.url])])]);
    try {
      const inFlight = fetch(`${gateway.url}/delay/300`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      gateway.swap([route('ns/other', [proxyRule([echo.url], { matches: [prefix('/other')] })])]);
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(((await response.json()) as EchoResponse).path).toBe('/delay/300');
      expect((await fetch(`${gateway.url}/delay/1`)).status).toBe(404);
    } finally {
      await gateway.close();
    }
  });

  it('compiles and serves 10,000 routes', async () => {
    const routes: RouteConfig[] = [];
    for (let i = 0; i < 10_000; i++) {
      routes.push(
        route(
          `ns/route-${i}`,
          [
            proxyRule([echo.url], {
              matches: [exact(`/r/${i}/exact`), prefix(`/r/${i}/tree`)],
              requestHeaders: { set: [{ name: 'x-route', value: String(i) }], add: [], remove: [] },
            }),
          ],
          i % 3 === 0 ? { hostnames: [`svc-${i}.example.com`] } : {},
        ),
      );
    }
    const started = Date.now();
    const gateway = await startGateway(routes);
    const compileMs = Date.now() - started;
    try {
      const routed = async (path: string, host?: string): Promise<string | number> => {
        const response = await httpGet(`${gateway.url}${path}`, host === undefined ? {} : { host });
        if (response.status !== 200) return response.status;
        return String((JSON.parse(response.body) as EchoResponse).headers['x-route']);
      };
      expect(await routed('/r/9998/exact')).toBe('9998');
      expect(await routed('/r/9999/exact')).toBe(404);
      expect(await routed('/r/9999/exact', 'svc-9999.example.com')).toBe('9999');
      expect(await routed('/r/5000/tree/deep/path')).toBe('5000');
      expect(await routed('/r/3/tree', 'svc-3.example.com')).toBe('3');
      expect(await routed('/r/3/tree')).toBe(404);
      expect(await routed('/r/10000/exact')).toBe(404);
      // Generous: compilation is linear; this only catches an accidental quadratic step.
      expect(compileMs).toBeLessThan(10_000);
    } finally {
      await gateway.close();
    }
  });
});
