import { request } from 'node:http';
import { startEchoServer } from '@hubpo/testkit';
import type { EchoResponse, EchoServer } from '@hubpo/testkit';
import { backend, proxyRule, route } from '../../../src/runtime/testdata/config-factories.js';
import {
  errorOf,
  hangingConnectUrl,
  httpGet,
  refusedUrl,
  respondWith,
  startGateway,
  startUpstream,
} from './runtime-harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const noRetry = { attempts: 0, backoffMs: 0, codes: [] };

describe('runtime: retries', () => {
  let echo: EchoServer;

  beforeAll(async () => {
    echo = await startEchoServer({ name: 'good' });
  });
  afterAll(() => echo.stop());

  it('retries a refused connection on another backend, for any method with a replayable body', async () => {
    const refused = await refusedUrl();
    const gateway = await startGateway([route('ns/r', [proxyRule([refused, echo.url])])]);
    try {
      for (let i = 0; i < 4; i++) {
        const response = await fetch(`${gateway.url}/x`, { method: 'POST', body: 'payload' });
        expect(response.status).toBe(200);
        const echoed = (await response.json()) as EchoResponse;
        expect(echoed.body).toBe('payload');
      }
    } finally {
      await gateway.close();
    }
  });

  it('answers 502 HUBPO_ERR_UPSTREAM_CONNECT once every attempt was refused', async () => {
    const gateway = await startGateway([
      route('ns/r', [proxyRule([await refusedUrl(), await refusedUrl()])]),
    ]);
    try {
      const response = await fetch(`${gateway.url}/x`);
      expect(response.status).toBe(502);
      const error = await errorOf(response);
      expect(error.code).toBe('HUBPO_ERR_UPSTREAM_CONNECT');
      expect(error.message).not.toMatch(/127\.0\.0\.1|ECONN/);
    } finally {
      await gateway.close();
    }
  });

  it('retries a listed 5xx of an idempotent request on another backend', async () => {
    const failing = await startUpstream(respondWith(503));
    const gateway = await startGateway([route('ns/r', [proxyRule([failing.url, echo.url])])]);
    try {
      const before = echo.requests;
      const response = await fetch(`${gateway.url}/x`);
      expect(response.status).toBe(200);
      expect(failing.hits).toBe(1);
      expect(echo.requests - before).toBe(1);
    } finally {
      await gateway.close();
      await failing.close();
    }
  });

  it('retries an idempotent request with a small body by sending the buffered body again', async () => {
    const failing = await startUpstream(respondWith(503));
    const gateway = await startGateway([route('ns/r', [proxyRule([failing.url, echo.url])])]);
    try {
      const response = await fetch(`${gateway.url}/x`, { method: 'PUT', body: 'replayed body' });
      expect(response.status).toBe(200);
      expect(((await response.json()) as EchoResponse).body).toBe('replayed body');
      expect(failing.hits).toBe(1);
    } finally {
      await gateway.close();
      await failing.close();
    }
  });

  it('does not retry a POST on 503: the upstream answer is passed through', async () => {
    const failing = await startUpstream(respondWith(503, 'busy'));
    const gateway = await startGateway([route('ns/r', [proxyRule([failing.url, echo.url])])]);
    try {
      const before = echo.requests;
      const response = await fetch(`${gateway.url}/x`, { method: 'POST', body: 'once' });
      expect(response.status).toBe(503);
      expect(await response.text()).toBe('busy');
      expect(failing.hits).toBe(1);
      expect(echo.requests).toBe(before);
    } finally {
      await gateway.close();
      await failing.close();
    }
  });

  it('gives up after the configured attempts and passes the last answer through', async () => {
    const failing = await startUpstream(respondWith(502, 'bad gateway upstream'));
    const gateway = await startGateway([
      route('ns/r', [proxyRule([failing.url], { retry: { attempts: 2, backoffMs: 1, codes: [502] } })]),
    ]);
    try {
      const response = await fetch(`${gateway.url}/x`);
      expect(response.status).toBe(502);
      expect(await response.text()).toBe('bad gateway upstream');
      expect(failing.hits).toBe(3);
    } finally {
      await gateway.close();
      await failing.close();
    }
  });

  it('answers 502 HUBPO_ERR_UPSTREAM_RESET when the upstream closes without answering', async () => {
    const gateway = await startGateway([
      route('ns/r', [proxyRule([echo.url], { retry: { attempts: 1, backoffMs: 1, codes: [] } })]),
    ]);
    try {
      const before = echo.requests;
      const response = await fetch(`${gateway.url}/close`);
      expect(response.status).toBe(502);
      expect((await errorOf(response)).code).toBe('HUBPO_ERR_UPSTREAM_RESET');
      // A reset before any response byte is retried (GET has no body to replay).
      expect(echo.requests - before).toBe(2);
    } finally {
      await gateway.close();
    }
  });
});

describe('runtime: passive health', () => {
  it('ejects a backend after consecutive failures and tries it again after the ejection', async () => {
    const good = await startEchoServer({ name: 'good' });
    const failing = await startUpstream(respondWith(500));
    const gateway = await startGateway([
      route('ns/r', [proxyRule([failing.url, good.url], { retry: noRetry })], {
        passiveHealth: { consecutiveFailures: 2, ejectionMs: 400 },
      }),
    ]);
    try {
      const statuses = async (n: number): Promise<number[]> => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) out.push((await fetch(`${gateway.url}/x`)).status);
        return out;
      };
      // Round robin alternates until the second 500 ejects the failing backend.
      expect(await statuses(4)).toEqual([500, 200, 500, 200]);
      expect(await statuses(6)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(failing.hits).toBe(2);
      await sleep(450);
      expect((await statuses(2)).sort()).toEqual([200, 500]);
      expect(failing.hits).toBe(3);
    } finally {
      await gateway.close();
      await failing.close();
      await good.stop();
    }
  });

  it('keeps serving when every backend is ejected (panic mode)', async () => {
    const failing = await startUpstream(respondWith(500));
    const gateway = await startGateway([
      route('ns/r', [proxyRule([failing.url], { retry: noRetry })], {
        passiveHealth: { consecutiveFailures: 1, ejectionMs: 60_000 },
      }),
    ]);
    try {
      expect((await fetch(`${gateway.url}/x`)).status).toBe(500);
      expect((await fetch(`${gateway.url}/x`)).status).toBe(500);
      expect(failing.hits).toBe(2);
    } finally {
      await gateway.close();
      await failing.close();
    }
  });
});

describe('runtime: timeouts', () => {
  let echo: EchoServer;

  beforeAll(async () => {
    echo = await startEchoServer();
  });
  afterAll(() => echo.stop());

  it('answers 504 HUBPO_ERR_UPSTREAM_TIMEOUT when response headers take longer than the backend request timeout', async () => {
    const gateway = await startGateway([
      route('ns/r', [
        proxyRule([echo.url], {
          retry: noRetry,
          timeouts: { requestMs: 5000, backendRequestMs: 100, connectMs: 1000 },
        }),
      ]),
    ]);
    try {
      const started = Date.now();
      const response = await fetch(`${gateway.url}/delay/2000`);
      expect(response.status).toBe(504);
      expect((await errorOf(response)).code).toBe('HUBPO_ERR_UPSTREAM_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await gateway.close();
    }
  });

  it('retries a per-attempt timeout of an idempotent request when 504 is a retried code', async () => {
    const slowThenFast = await startUpstream((req, res) => {
      if (slowThenFast.hits === 1) setTimeout(() => res.end('late'), 1000);
      else res.end('fast');
    });
    const gateway = await startGateway([
      route('ns/r', [
        proxyRule([slowThenFast.url], {
          retry: { attempts: 1, backoffMs: 1, codes: [504] },
          timeouts: { requestMs: 5000, backendRequestMs: 100, connectMs: 1000 },
        }),
      ]),
    ]);
    try {
      const response = await fetch(`${gateway.url}/x`);
      expect(await response.text()).toBe('fast');
      expect(slowThenFast.hits).toBe(2);
    } finally {
      await gateway.close();
      await slowThenFast.close();
    }
  });

  it('ends the whole request at the request timeout, retries included', async () => {
    const gateway = await startGateway([
      route('ns/r', [
        proxyRule([echo.url], {
          retry: { attempts: 5, backoffMs: 1, codes: [504] },
          timeouts: { requestMs: 300, backendRequestMs: 200, connectMs: 1000 },
        }),
      ]),
    ]);
    try {
      const started = Date.now();
      const response = await fetch(`${gateway.url}/delay/5000`);
      expect(response.status).toBe(504);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await gateway.close();
    }
  });

  it('answers 504 when connecting takes longer than the connect timeout, and retries elsewhere', async () => {
    const hanging = await hangingConnectUrl();
    const timeouts = { requestMs: 5000, backendRequestMs: 5000, connectMs: 200 };
    const gateway = await startGateway([
      route('ns/only', [proxyRule([hanging.url], { retry: noRetry, timeouts })], {
        hostnames: ['only.test'],
      }),
      route('ns/two', [
        proxyRule([hanging.url, echo.url], { retry: { attempts: 1, backoffMs: 1, codes: [] }, timeouts }),
      ]),
    ]);
    try {
      const started = Date.now();
      const response = await httpGet(`${gateway.url}/x`, { host: 'only.test' });
      expect(response.status).toBe(504);
      expect(JSON.parse(response.body).error.code).toBe('HUBPO_ERR_UPSTREAM_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(1000);
      // Round robin starts on the hanging backend; the connect timeout moves the request on.
      expect((await httpGet(`${gateway.url}/x`)).status).toBe(200);
    } finally {
      await gateway.close();
      await hanging.close();
    }
  });

  it('cuts a response that goes idle longer than the backend request timeout after headers', async () => {
    const stalls = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    const gateway = await startGateway([
      route('ns/r', [
        proxyRule([stalls.url], { timeouts: { requestMs: 10_000, backendRequestMs: 150, connectMs: 1000 } }),
      ]),
    ]);
    try {
      const response = await fetch(`${gateway.url}/x`);
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
    } finally {
      await gateway.close();
      await stalls.close();
    }
  });
});

describe('runtime: client abort', () => {
  it('aborts the upstream request when the client goes away', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    let upstreamGotRequest!: () => void;
    const received = new Promise<void>((resolve) => (upstreamGotRequest = resolve));
    const hanging = await startUpstream((req, res) => {
      res.on('close', upstreamClosed);
      upstreamGotRequest();
      req.resume();
    });
    const gateway = await startGateway([route('ns/r', [proxyRule([hanging.url])])]);
    try {
      const client = request(`${gateway.url}/slow`);
      client.on('error', () => undefined);
      client.end();
      await received;
      client.destroy();
      await closed;
      expect(hanging.hits).toBe(1);
    } finally {
      await gateway.close();
      await hanging.close();
    }
  });
});

describe('runtime: weights of zero', () => {
  it('never sends traffic to a backend with weight 0', async () => {
    const a = await startEchoServer({ name: 'a' });
    const b = await startEchoServer({ name: 'b' });
    const gateway = await startGateway([route('ns/r', [proxyRule([backend(a.url, 1), backend(b.url, 0)])])]);
    try {
      for (let i = 0; i < 5; i++) await (await fetch(`${gateway.url}/`)).text();
      expect(b.requests).toBe(0);
      expect(a.requests).toBe(5);
    } finally {
      await gateway.close();
      await a.stop();
      await b.stop();
    }
  });
});
