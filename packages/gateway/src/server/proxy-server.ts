import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RuntimeSlot } from '../config/runtime-slot.js';
import type { GatewayTimeouts } from '../gateway-config.js';
import { RequestIds } from '../runtime/index.js';
import { answerClientError } from './client-error-reply.js';
import type { ClientError } from './client-error-reply.js';
import { HttpListener } from './http-listener.js';

/**
 * The proxy listener: a plain `node:http` server (no framework on the hot path) whose every
 * request and upgrade goes to the runtime current when it arrived. The handlers are created once;
 * per request they read one reference and one flag.
 */
export function createProxyListener(slot: RuntimeSlot, timeouts: GatewayTimeouts): HttpListener {
  const server = createServer({
    keepAlive: true,
    // Node requires headersTimeout <= requestTimeout; 0 disables a timer.
    requestTimeout: timeouts.requestTimeoutMs,
    headersTimeout: Math.min(
      timeouts.headersTimeoutMs,
      timeouts.requestTimeoutMs || timeouts.headersTimeoutMs,
    ),
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
  });
  const listener = new HttpListener(server);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (listener.draining) res.setHeader('connection', 'close');
    slot.current.handle(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    slot.current.handleUpgrade(req, socket, head);
  });
  const ids = new RequestIds();
  server.on('clientError', (error: ClientError, socket: Duplex) => answerClientError(error, socket, ids));
  return listener;
}
