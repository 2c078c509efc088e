import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { HubpoError } from '@hubpo/core';
import type { Runtime } from '../runtime/index.js';
import { errorBody } from './send-json.js';

const NOT_READY = new HubpoError('NOT_READY', 'the gateway has not received its configuration yet');
const BODY = `${JSON.stringify(errorBody(NOT_READY))}\n`;
const HEADERS = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  'content-length': String(Buffer.byteLength(BODY)),
  'retry-after': '1',
  'cache-control': 'no-store',
});
const UPGRADE_RESPONSE =
  `HTTP/1.1 ${NOT_READY.status} Service Unavailable\r\n` +
  Object.entries(HEADERS)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('') +
  `connection: close\r\n\r\n${BODY}`;

/**
 * What the proxy listener serves before the first config is applied: every request gets
 * 503 HUBPO_ERR_NOT_READY (retryable, `retry-after: 1`), every upgrade the same and a closed socket.
 */
export class NotReadyRuntime implements Runtime {
  readonly revision = 0;

  handle(req: IncomingMessage, res: ServerResponse): void {
    // The body is not needed; dropping it keeps the connection reusable.
    req.resume();
    res.writeHead(NOT_READY.status, HEADERS);
    res.end(req.method === 'HEAD' ? undefined : BODY);
  }

  handleUpgrade(_req: IncomingMessage, socket: Duplex, _head: Buffer): void {
    socket.on('error', () => socket.destroy());
    socket.end(UPGRADE_RESPONSE);
  }

  retire(): void {
    // Nothing held.
  }
}
