import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import { getFreePort, startEchoServer, type EchoResponse, type EchoServer } from '@hubpo/testkit';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function echoOf(reply: Reply): EchoResponse {
  return JSON.parse(reply.body) as EchoResponse;
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    socket.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })),
  );
}

describe('startEchoServer', () => {
  let echo: EchoServer;

  beforeEach(async () => {
    echo = await startEchoServer({ name: 'upstream-a' });
  });

  afterEach(async () => {
    await echo.stop();
  });

  it('echoes method, path, query, headers and body as JSON, naming itself', async () => {
    expect(echo.url).toBe(`http://127.0.0.1:${echo.port}`);
    const reply = await send(`${echo.url}/v1/things?a=1&b=2&b=3`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-request-id': 'abc' },
      body: 'hello upstream',
    });

    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    const body = echoOf(reply);
    expect(body).toMatchObject({
      method: 'POST',
      path: '/v1/things',
      query: { a: '1', b: ['2', '3'] },
      body: 'hello upstream',
      server: 'upstream-a',
    });
    expect(body.headers['x-request-id']).toBe('abc');
    expect(body.headers['host']).toBe(`127.0.0.1:${echo.port}`);
  });

  it('counts the requests it receives', async () => {
    expect(echo.requests).toBe(0);
    await send(echo.url);
    await send(`${echo.url}/status/500`);
    await send(`${echo.url}/close`).catch(() => undefined);
    expect(echo.requests).toBe(3);
  });

  it('answers /status/<code> with that status', async () => {
    const unavailable = await send(`${echo.url}/status/503`);
    expect(unavailable.status).toBe(503);
    expect(echoOf(unavailable).path).toBe('/status/503');

    const noContent = await send(`${echo.url}/status/204`);
    expect(noContent.status).toBe(204);
    expect(noContent.body).toBe('');
  });

  it('answers /delay/<ms> only after the delay', async () => {
    const started = Date.now();
    const reply = await send(`${echo.url}/delay/300`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(reply.status).toBe(200);
    expect(echoOf(reply).path).toBe('/delay/300');
  });

  it('drops the connection without an answer on /close', async () => {
    await expect(send(`${echo.url}/close`)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('echoes WebSocket text and binary messages on /ws', async () => {
    const socket = await openSocket(`ws://127.0.0.1:${echo.port}/ws`);
    try {
      const text = nextMessage(socket);
      socket.send('ping');
      expect(await text).toEqual({ data: Buffer.from('ping'), isBinary: false });

      const binary = nextMessage(socket);
      socket.send(Buffer.from([1, 2, 3]));
      expect(await binary).toEqual({ data: Buffer.from([1, 2, 3]), isBinary: true });
    } finally {
      socket.close();
    }
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    await expect(openSocket(`ws://127.0.0.1:${echo.port}/other`)).rejects.toThrow(/404/);
  });

  it('stop() closes open WebSockets and the port', async () => {
    const socket = await openSocket(`ws://127.0.0.1:${echo.port}/ws`);
    const closed = new Promise((resolve) => socket.once('close', resolve));

    await echo.stop();

    await closed;
    await expect(send(echo.url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('startEchoServer options', () => {
  it('listens on the port asked for and is named after it by default', async () => {
    const port = await getFreePort();
    const echo = await startEchoServer({ port });
    try {
      expect(echo.port).toBe(port);
      expect(echo.name).toBe(`echo-${port}`);
      expect(echoOf(await send(echo.url)).server).toBe(`echo-${port}`);
    } finally {
      await echo.stop();
    }
  });

  it('tells two upstreams apart', async () => {
    const [a, b] = await Promise.all([startEchoServer({ name: 'a' }), startEchoServer({ name: 'b' })]);
    try {
      expect(echoOf(await send(a.url)).server).toBe('a');
      expect(echoOf(await send(b.url)).server).toBe('b');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
