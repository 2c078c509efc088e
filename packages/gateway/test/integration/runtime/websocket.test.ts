import { startEchoServer } from '@hubpo/testkit';
import type { EchoServer } from '@hubpo/testkit';
import WebSocket from 'ws';
import {
  apiKeyPolicy,
  backend,
  consumer,
  proxyRule,
  route,
} from '../../../src/runtime/testdata/config-factories.js';
import { refusedUrl, startGateway } from './runtime-harness.js';
import type { TestGateway } from './runtime-harness.js';

const KEY = 'ws-key-0123456789abcdef';

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<{ data: string; binary: boolean }> {
  return new Promise((resolve) =>
    socket.once('message', (data, binary) => resolve({ data: data.toString(), binary })),
  );
}

describe('runtime: WebSocket pass-through', () => {
  let echo: EchoServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    echo = await startEchoServer();
    gateway = await startGateway([
      route('ns/ws', [proxyRule([echo.url])], { hostnames: ['127.0.0.1'] }),
      route('ns/secure', [proxyRule([echo.url])], { hostnames: ['secure.example.com'] }),
      route(
        'ns/down',
        [proxyRule([backend(await refusedUrl())], { retry: { attempts: 0, backoffMs: 0, codes: [] } })],
        {
          hostnames: ['down.example.com'],
        },
      ),
      consumer('ns/c', [KEY]),
      apiKeyPolicy('ns/auth', ['ns/secure']),
    ]);
  });

  afterAll(async () => {
    await gateway.close();
    await echo.stop();
  });

  it('echoes text and binary messages through the gateway', async () => {
    const socket = await open(`ws://127.0.0.1:${gateway.port}/ws`);
    try {
      const text = nextMessage(socket);
      socket.send('hello');
      expect(await text).toEqual({ data: 'hello', binary: false });
      const binary = nextMessage(socket);
      socket.send(Buffer.from('bytes'));
      expect(await binary).toEqual({ data: 'bytes', binary: true });
    } finally {
      socket.close();
    }
  });

  it('applies the route policies to the upgrade', async () => {
    await expect(open(`ws://127.0.0.1:${gateway.port}/ws`, { host: 'secure.example.com' })).rejects.toThrow(
      'status 401',
    );
    const socket = await open(`ws://127.0.0.1:${gateway.port}/ws`, {
      host: 'secure.example.com',
      'x-api-key': KEY,
    });
    socket.close();
  });

  it('answers 404 to an upgrade no route matches, and 502 when the backend refuses', async () => {
    await expect(open(`ws://127.0.0.1:${gateway.port}/ws`, { host: 'nowhere.example.com' })).rejects.toThrow(
      'status 404',
    );
    await expect(open(`ws://127.0.0.1:${gateway.port}/ws`, { host: 'down.example.com' })).rejects.toThrow(
      'status 502',
    );
  });

  it('passes the upstream answer through when it refuses to upgrade', async () => {
    await expect(open(`ws://127.0.0.1:${gateway.port}/not-ws`)).rejects.toThrow('status 404');
  });
});
