import { startEchoServer } from '@hubpo/testkit';
import type { EchoResponse, EchoServer } from '@hubpo/testkit';
import {
  apiKeyPolicy,
  consumer,
  prefix,
  proxyRule,
  rateLimitPolicy,
  route,
} from '../../../src/runtime/testdata/config-factories.js';
import { errorOf, startGateway } from './runtime-harness.js';
import type { TestGateway } from './runtime-harness.js';

const ALICE_KEY = 'alice-key-0123456789abcdef';
const BOB_KEY = 'bob-key-0123456789abcdef';

describe('runtime: API key authentication', () => {
  let echo: EchoServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    echo = await startEchoServer();
    gateway = await startGateway([
      route('ns/orders', [proxyRule([echo.url], { matches: [prefix('/orders')] })]),
      route('ns/custom', [proxyRule([echo.url], { matches: [prefix('/custom')] })]),
      route('ns/open', [proxyRule([echo.url], { matches: [prefix('/open')] })]),
      consumer('ns/alice', [ALICE_KEY]),
      consumer('ns/bob', [BOB_KEY], { allowedRoutes: ['ns/custom'] }),
      apiKeyPolicy('ns/auth', ['ns/orders']),
      apiKeyPolicy('ns/custom-auth', ['ns/custom'], 'x-token'),
    ]);
  });

  afterAll(async () => {
    await gateway.close();
    await echo.stop();
  });

  it('answers 401 with WWW-Authenticate when the key is missing', async () => {
    const response = await fetch(`${gateway.url}/orders`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="hubpo"');
    expect((await errorOf(response)).code).toBe('HUBPO_ERR_UNAUTHENTICATED');
  });

  it('answers 401 to an unknown key', async () => {
    const response = await fetch(`${gateway.url}/orders`, {
      headers: { authorization: 'Bearer not-a-known-key' },
    });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toBe('the API key is not valid');
  });

  it('answers 403 HUBPO_ERR_FORBIDDEN to a consumer whose allowedRoutes leave the route out', async () => {
    const response = await fetch(`${gateway.url}/orders`, { headers: { 'x-api-key': BOB_KEY } });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe('HUBPO_ERR_FORBIDDEN');
  });

  it('proxies with a valid key, by bearer token or x-api-key', async () => {
    expect(
      (await fetch(`${gateway.url}/orders`, { headers: { authorization: `Bearer ${ALICE_KEY}` } })).status,
    ).toBe(200);
    const response = await fetch(`${gateway.url}/orders`, { headers: { 'x-api-key': ALICE_KEY } });
    expect(response.status).toBe(200);
    // The gateway key is the consumer's credential for the gateway: it never reaches the upstream.
    const echoed = (await response.json()) as EchoResponse;
    expect(echoed.headers['x-api-key']).toBeUndefined();
    expect(echoed.headers['authorization']).toBeUndefined();
  });

  it('reads a configured header only', async () => {
    expect((await fetch(`${gateway.url}/custom`, { headers: { 'x-token': BOB_KEY } })).status).toBe(200);
    const bearer = await fetch(`${gateway.url}/custom`, { headers: { authorization: `Bearer ${BOB_KEY}` } });
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get('www-authenticate')).toBe('ApiKey realm="hubpo", header="x-token"');
  });

  it('leaves routes without an auth policy open', async () => {
    expect((await fetch(`${gateway.url}/open`)).status).toBe(200);
  });

  it('rejects a request with a body without reading it, and closes that connection', async () => {
    const response = await fetch(`${gateway.url}/orders`, { method: 'POST', body: 'x'.repeat(1024 * 1024) });
    expect(response.status).toBe(401);
    expect(response.headers.get('connection')).toBe('close');
  });
});

describe('runtime: rate limits', () => {
  let echo: EchoServer;

  beforeAll(async () => {
    echo = await startEchoServer();
  });
  afterAll(() => echo.stop());

  it('answers 429 with Retry-After and RateLimit-* once the bucket is empty', async () => {
    const gateway = await startGateway([
      route('ns/r', [proxyRule([echo.url])]),
      rateLimitPolicy('ns/limit', [{ kind: 'route', id: 'ns/r' }], {
        requests: 2,
        windowMs: 60_000,
        burst: 1,
      }),
    ]);
    try {
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const ok = await fetch(`${gateway.url}/`);
        expect(ok.status).toBe(200);
        expect(ok.headers.get('ratelimit-limit')).toBe('3');
        expect(ok.headers.get('ratelimit-policy')).toBe('2;w=60;burst=1');
        remaining.push(ok.headers.get('ratelimit-remaining')!);
        await ok.text();
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const limited = await fetch(`${gateway.url}/`);
      expect(limited.status).toBe(429);
      expect((await errorOf(limited)).code).toBe('HUBPO_ERR_RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(30);
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(limited.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(89);
      expect(echo.requests).toBe(3);
    } finally {
      await gateway.close();
    }
  });

  it('counts each consumer separately', async () => {
    const gateway = await startGateway([
      route('ns/r', [proxyRule([echo.url])]),
      consumer('ns/alice', [ALICE_KEY]),
      consumer('ns/bob', [BOB_KEY]),
      apiKeyPolicy('ns/auth', ['ns/r']),
      rateLimitPolicy('ns/limit', [{ kind: 'route', id: 'ns/r' }], { requests: 1, windowMs: 60_000 }),
    ]);
    try {
      const as = (key: string) =>
        fetch(`${gateway.url}/`, { headers: { 'x-api-key': key } }).then((r) => r.status);
      expect(await as(ALICE_KEY)).toBe(200);
      expect(await as(ALICE_KEY)).toBe(429);
      expect(await as(BOB_KEY)).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});
