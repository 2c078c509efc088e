import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { startEchoServer } from '@hubpo/testkit';
import type { EchoResponse, EchoServer } from '@hubpo/testkit';
import {
  backend,
  exact,
  prefix,
  proxyRule,
  route,
  rule,
} from '../../../src/runtime/testdata/config-factories.js';
import { errorOf, startGateway, startUpstream } from './runtime-harness.js';
import type { TestGateway, TestUpstream } from './runtime-harness.js';

describe('runtime: proxying', () => {
  let echo: EchoServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    echo = await startEchoServer({ name: 'echo' });
    gateway = await startGateway([
      route('ns/api', [
        proxyRule([echo.url], {
          matches: [prefix('/api')],
          urlRewrite: { hostname: null, path: { type: 'ReplacePrefixMatch', value: '/v2' } },
          requestHeaders: {
            set: [{ name: 'x-env', value: 'test' }],
            add: [{ name: 'x-tags', value: 'gw' }],
            remove: ['x-drop'],
          },
          responseHeaders: {
            set: [{ name: 'cache-control', value: 'no-cache' }],
            add: [],
            remove: ['x-echo-server'],
          },
        }),
        proxyRule([`${echo.url}/base`], {
          matches: [exact('/full')],
          urlRewrite: { hostname: 'internal.example', path: { type: 'ReplaceFullPath', value: '/replaced' } },
        }),
      ]),
      route('ns/ai', [rule({ matches: [prefix('/v1/chat')], action: { kind: 'ai', models: null } })]),
    ]);
  });

  afterAll(async () => {
    await gateway.close();
    await echo.stop();
  });

  it('forwards method, rewritten path, query and headers, and adds forwarding headers', async () => {
    const response = await fetch(`${gateway.url}/api/users?id=7&x=a%20b`, {
      method: 'DELETE',
      headers: {
        'x-drop': 'secret',
        'x-tags': 'client',
        'x-request-id': 'abc-123',
        connection: 'keep-alive',
      },
    });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as EchoResponse;
    expect(echoed.method).toBe('DELETE');
    expect(echoed.path).toBe('/v2/users');
    expect(echoed.query).toEqual({ id: '7', x: 'a b' });
    expect(echoed.headers).toMatchObject({
      host: `127.0.0.1:${gateway.port}`,
      'x-env': 'test',
      'x-tags': 'client,gw',
      'x-request-id': 'abc-123',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': `127.0.0.1:${gateway.port}`,
      via: '1.1 hubpo',
    });
    expect(echoed.headers['x-drop']).toBeUndefined();
    expect(response.headers.get('x-request-id')).toBe('abc-123');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-echo-server')).toBeNull();
    expect(response.headers.get('via')).toBe('1.1 hubpo');
  });

  it('generates a request id when the client sent none or an unsafe one', async () => {
    const response = await fetch(`${gateway.url}/api/x`, { headers: { 'x-request-id': 'bad id "quoted"' } });
    const echoed = (await response.json()) as EchoResponse;
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    expect(echoed.headers['x-request-id']).toBe(id);
  });

  it('replaces the full path, prefixes the backend base path and rewrites Host', async () => {
    const echoed = (await (await fetch(`${gateway.url}/full?q=1`)).json()) as EchoResponse;
    expect(echoed.path).toBe('/base/replaced');
    expect(echoed.query).toEqual({ q: '1' });
    expect(echoed.headers.host).toBe('internal.example');
  });

  it('answers 404 HUBPO_ERR_ROUTE_NOT_FOUND as JSON with the request id, and keeps the connection', async () => {
    const response = await fetch(`${gateway.url}/nowhere`, { headers: { 'x-request-id': 'r-404' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('connection')).toBe('keep-alive');
    expect(await errorOf(response)).toEqual({
      code: 'HUBPO_ERR_ROUTE_NOT_FOUND',
      message: 'no route matches the request',
      retryable: false,
      request_id: 'r-404',
    });
  });

  it('answers 414 HUBPO_ERR_URI_TOO_LONG to a request target over 8 KiB', async () => {
    const response = await fetch(`${gateway.url}/api/${'a'.repeat(8200)}`);
    expect(response.status).toBe(414);
    expect(await errorOf(response)).toMatchObject({ code: 'HUBPO_ERR_URI_TOO_LONG', retryable: false });
  });

  it('hands AI rules to the AI handler, which answers in the OpenAI error format', async () => {
    // The rule matches PathPrefix /v1/chat, so the AI path is /completions: not an AI API.
    // (The AI data path itself is tested in test/integration/ai/.)
    const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error).toMatchObject({ code: 'HUBPO_ERR_NOT_FOUND', type: 'invalid_request_error' });
  });

  it('passes a HEAD response through without a body', async () => {
    const response = await fetch(`${gateway.url}/api/x`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });
});

describe('runtime: backend weights', () => {
  it('splits traffic by weight, round robin exactly and random roughly', async () => {
    const a = await startEchoServer({ name: 'a' });
    const b = await startEchoServer({ name: 'b' });
    const gateway = await startGateway([
      route('ns/rr', [proxyRule([backend(a.url, 3), backend(b.url, 1)], { matches: [prefix('/rr')] })]),
      route('ns/random', [
        proxyRule([backend(a.url, 1), backend(b.url, 1)], { matches: [prefix('/random')] }, 'Random'),
      ]),
      route('ns/least', [
        proxyRule([backend(a.url, 1), backend(b.url, 0)], { matches: [prefix('/least')] }, 'LeastRequest'),
      ]),
    ]);
    try {
      const count = async (path: string, n: number): Promise<Record<string, number>> => {
        const counts: Record<string, number> = {};
        for (let i = 0; i < n; i++) {
          const server = ((await (await fetch(`${gateway.url}${path}`)).json()) as EchoResponse).server;
          counts[server] = (counts[server] ?? 0) + 1;
        }
        return counts;
      };
      expect(await count('/rr', 40)).toEqual({ a: 30, b: 10 });
      const random = await count('/random', 200);
      expect(random.a).toBeGreaterThan(60);
      expect(random.b).toBeGreaterThan(60);
      expect(await count('/least', 10)).toEqual({ a: 10 });
    } finally {
      await gateway.close();
      await a.stop();
      await b.stop();
    }
  });
});

describe('runtime: streaming', () => {
  let upstream: TestUpstream;
  let gateway: TestGateway;
  let uploadProgress: (bytes: number) => void = () => undefined;
  let releaseDownload: () => void = () => undefined;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url === '/upload') {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          bytes += chunk.length;
          uploadProgress(bytes);
        });
        req.on('end', () => res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
      } else if (req.url === '/lockstep-download') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write('first chunk;');
        releaseDownload = () => res.end('second chunk');
      } else {
        // /download/<MiB>: deterministic bytes, written as the socket drains.
        const total = Number(req.url?.split('/')[2]) * 1024 * 1024;
        const chunk = Buffer.alloc(64 * 1024, 7);
        let sent = 0;
        res.writeHead(200, { 'content-length': String(total) });
        const pump = (): void => {
          while (sent < total) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      }
    });
    gateway = await startGateway([
      route('ns/stream', [proxyRule([upstream.url], { retry: { attempts: 0, backoffMs: 0, codes: [] } })]),
    ]);
  });

  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('streams the request body: the upstream gets the first bytes before the client sent the rest', async () => {
    const result = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${gateway.url}/upload`,
        { method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      uploadProgress = (bytes) => {
        if (bytes === 5) {
          uploadProgress = () => undefined;
          req.end('world');
        }
      };
      req.write('hello');
    });
    expect(JSON.parse(result).bytes).toBe(10);
  });

  it('streams the response body: the client gets the first bytes before the upstream sent the rest', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      request(`${gateway.url}/lockstep-download`, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
          if (body === 'first chunk;') releaseDownload();
        });
        res.on('end', () => resolve(body));
      })
        .on('error', reject)
        .end();
    });
    expect(text).toBe('first chunk;second chunk');
  });

  it('moves 50 MiB each way intact', async () => {
    const size = 50 * 1024 * 1024;
    const expected = createHash('sha256');
    const upload = await new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
      const req = request(
        `${gateway.url}/upload`,
        { method: 'PUT', headers: { 'content-length': String(size) } },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve(JSON.parse(body)));
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024);
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          chunk.fill(sent % 251);
          expected.update(chunk);
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(upload).toEqual({ bytes: size, sha256: expected.digest('hex') });

    const received = await new Promise<number>((resolve, reject) => {
      request(`${gateway.url}/download/50`, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve(bytes));
      })
        .on('error', reject)
        .end();
    });
    expect(received).toBe(size);
  });

  // Bounded memory = backpressure end to end: with the far side not reading, the sender stalls
  // after what socket buffers hold (a few MiB on loopback), far from the 200 MiB it offers.
  const STALL_MS = 300;
  const BOUND = 32 * 1024 * 1024;

  /** Writes 64 KiB chunks until `write` has not drained for STALL_MS; resolves the bytes accepted. */
  function writeUntilStalled(stream: NodeJS.WritableStream, limit: number): Promise<number> {
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    return new Promise((resolve) => {
      const pump = (): void => {
        while (sent < limit) {
          sent += chunk.length;
          if (!stream.write(chunk)) {
            const timer = setTimeout(() => {
              stream.removeListener('drain', onDrain);
              resolve(sent);
            }, STALL_MS);
            const onDrain = (): void => {
              clearTimeout(timer);
              pump();
            };
            stream.once('drain', onDrain);
            return;
          }
        }
        resolve(sent);
      };
      pump();
    });
  }

  it('applies backpressure to the client when the upstream does not read the request body', async () => {
    const stalled = await startUpstream((req) => req.pause());
    const g = await startGateway([
      route('ns/s', [proxyRule([stalled.url], { retry: { attempts: 0, backoffMs: 0, codes: [] } })]),
    ]);
    try {
      const req = request(`${g.url}/`, {
        method: 'PUT',
        headers: { 'content-length': String(200 * 1024 * 1024) },
      });
      req.on('error', () => undefined);
      const accepted = await writeUntilStalled(req, 200 * 1024 * 1024);
      req.destroy();
      expect(accepted).toBeLessThan(BOUND);
    } finally {
      await g.close();
      await stalled.close();
    }
  });

  it('applies backpressure to the upstream when the client does not read the response body', async () => {
    let accepted: Promise<number> = Promise.resolve(0);
    const flood = await startUpstream((_req, res) => {
      res.writeHead(200);
      accepted = writeUntilStalled(res, 200 * 1024 * 1024);
    });
    const g = await startGateway([route('ns/f', [proxyRule([flood.url])])]);
    try {
      const client = request(`${g.url}/`, (res) => res.pause());
      client.on('error', () => undefined);
      client.end();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await accepted).toBeLessThan(BOUND);
      client.destroy();
    } finally {
      await g.close();
      await flood.close();
    }
  });
});
