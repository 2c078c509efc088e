import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTelemetry } from '@hubpo/telemetry';
import { startEchoServer } from '@hubpo/testkit';
import {
  apiKeyPolicy,
  proxyRule,
  rateLimitPolicy,
  route,
} from '../../../src/runtime/testdata/config-factories.js';
import { refusedUrl, startGateway } from './runtime-harness.js';

describe('runtime: telemetry', () => {
  it('records requests by route, rule and status class, upstream errors, retries, rejections and ejections', async () => {
    const telemetry = createTelemetry({ serviceName: 'runtime-test' });
    const echo = await startEchoServer();
    const gateway = await startGateway(
      [
        route('ns/ok', [proxyRule([echo.url], { name: 'main' })], { hostnames: ['ok.test'] }),
        route(
          'ns/down',
          [proxyRule([await refusedUrl()], { retry: { attempts: 1, backoffMs: 1, codes: [] } })],
          {
            hostnames: ['down.test'],
            passiveHealth: { consecutiveFailures: 1, ejectionMs: 60_000 },
          },
        ),
        route('ns/auth', [proxyRule([echo.url])], { hostnames: ['auth.test'] }),
        route('ns/limited', [proxyRule([echo.url])], { hostnames: ['limited.test'] }),
        apiKeyPolicy('ns/key', ['ns/auth']),
        rateLimitPolicy('ns/limit', [{ kind: 'route', id: 'ns/limited' }], { requests: 1, windowMs: 60_000 }),
      ],
      { telemetry },
    );
    const metricsServer = createServer((req, res) => telemetry.metricsHandler(req, res));
    await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
    try {
      const { request } = await import('node:http');
      const get = (host: string): Promise<number> =>
        new Promise((resolve, reject) => {
          request(`${gateway.url}/`, { headers: { host } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
            .on('error', reject)
            .end();
        });
      expect(await get('ok.test')).toBe(200);
      expect(await get('down.test')).toBe(502);
      expect(await get('auth.test')).toBe(401);
      expect(await get('limited.test')).toBe(200);
      expect(await get('limited.test')).toBe(429);
      expect(await get('nowhere.test')).toBe(404);

      const port = (metricsServer.address() as AddressInfo).port;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = (prefix: string, ...parts: string[]): string | undefined =>
        text.split('\n').find((l) => l.startsWith(prefix) && parts.every((p) => l.includes(p)));
      expect(
        line(
          'http_server_request_duration_count',
          'hubpo_route="ns/ok"',
          'hubpo_rule="main"',
          'http_response_status_class="2xx"',
        ),
      ).toMatch(/ 1$/);
      expect(
        line(
          'http_server_request_duration_count',
          'hubpo_route="ns/down"',
          'http_response_status_class="5xx"',
        ),
      ).toMatch(/ 1$/);
      expect(
        line('http_server_request_duration_count', 'hubpo_route=""', 'http_response_status_class="4xx"'),
      ).toMatch(/ 1$/);
      expect(line('hubpo_gateway_upstream_errors', 'hubpo_route="ns/down"', 'error_type="connect"')).toMatch(
        / 2$/,
      );
      expect(line('hubpo_gateway_upstream_retries', 'hubpo_route="ns/down"')).toMatch(/ 1$/);
      expect(line('hubpo_gateway_backend_ejections')).toMatch(/ 1$/);
      expect(
        line('hubpo_gateway_auth_rejected', 'hubpo_route="ns/auth"', 'hubpo_auth_reason="missing"'),
      ).toMatch(/ 1$/);
      expect(line('hubpo_gateway_ratelimit_rejected', 'hubpo_route="ns/limited"')).toMatch(/ 1$/);
      expect(line('hubpo_gateway_requests_active')).toMatch(/ 0$/);
    } finally {
      metricsServer.close();
      await gateway.close();
      await echo.stop();
      await telemetry.shutdown();
    }
  });
});
