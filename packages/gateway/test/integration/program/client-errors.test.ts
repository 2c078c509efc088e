import { connect } from 'node:net';
import { RuntimeSlot } from '../../../src/config/runtime-slot.js';
import { DEFAULT_GATEWAY_TIMEOUTS } from '../../../src/gateway-config.js';
import type { HttpListener } from '../../../src/server/http-listener.js';
import { NotReadyRuntime } from '../../../src/server/not-ready-runtime.js';
import { createProxyListener } from '../../../src/server/proxy-server.js';

interface RawAnswer {
  readonly status: number;
  readonly head: string;
  readonly body: Record<string, unknown>;
}

/** Writes `bytes` on a fresh connection and reads until the gateway closes it. */
function rawExchange(url: string, bytes: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(bytes));
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    // The gateway may close while the client still writes (that is the point): ignore EPIPE/reset.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? 0);
      try {
        resolve({ status, head, body: JSON.parse(body) as Record<string, unknown> });
      } catch (err) {
        reject(new Error(`not a JSON error answer: ${JSON.stringify(data.slice(0, 300))}`, { cause: err }));
      }
    });
  });
}

describe('proxy listener: requests node refuses before routing', () => {
  let listener: HttpListener;
  let url: string;

  beforeAll(async () => {
    listener = createProxyListener(new RuntimeSlot(new NotReadyRuntime()), DEFAULT_GATEWAY_TIMEOUTS);
    url = await listener.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await listener.close(1_000);
  });

  it('answers 431 HUBPO_ERR_HEADERS_TOO_LARGE to oversized headers, as JSON, and closes', async () => {
    const answer = await rawExchange(
      url,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(answer.status).toBe(431);
    expect(answer.head).toMatch(/\r\nconnection: close/i);
    expect(answer.head).toMatch(/\r\ncontent-type: application\/json/i);
    expect(answer.body['error']).toMatchObject({
      code: 'HUBPO_ERR_HEADERS_TOO_LARGE',
      retryable: false,
      request_id: expect.any(String),
    });
  });

  it('answers 414 HUBPO_ERR_URI_TOO_LONG when the request line alone overflows', async () => {
    const answer = await rawExchange(url, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(answer.status).toBe(414);
    expect(answer.body['error']).toMatchObject({ code: 'HUBPO_ERR_URI_TOO_LONG' });
  });

  it('answers 400 HUBPO_ERR_BAD_REQUEST to bytes that are not HTTP/1.1', async () => {
    const answer = await rawExchange(url, 'HELLO THERE\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.body['error']).toMatchObject({ code: 'HUBPO_ERR_BAD_REQUEST' });
  });

  it('still serves well-formed requests on the same listener', async () => {
    const answer = await rawExchange(url, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer.status).toBe(503);
    expect(answer.body['error']).toMatchObject({ code: 'HUBPO_ERR_NOT_READY' });
  });
});
