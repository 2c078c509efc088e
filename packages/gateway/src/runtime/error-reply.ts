import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCodes } from '@hubpo/core';
import type { ErrorKind } from '@hubpo/core';

/**
 * An error the runtime answers itself, rendered ahead of time: hot-path rejections (404, 401,
 * 429) build one string per reply and never allocate an `Error` (no stack capture).
 * Body: `{ "error": { "code", "message", "retryable", "request_id" } }`, the shape of the
 * gateway's other errors plus the request id. Messages are ours, never upstream text, addresses
 * or stack traces.
 */
export class ErrorReply {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly #prefix: string;

  constructor(kind: ErrorKind, message: string, status?: number) {
    const def = ErrorCodes[kind];
    this.status = status ?? def.status;
    this.code = def.code;
    this.message = message;
    this.#prefix =
      `{"error":{"code":"${def.code}","message":${JSON.stringify(message)},` +
      `"retryable":${String(def.retryable)},"request_id":"`;
  }

  /** The JSON body; `requestId` must be sane (see `RequestIds`), so it needs no escaping. */
  body(requestId: string): string {
    return `${this.#prefix}${requestId}"}}\n`;
  }
}

export const Replies = Object.freeze({
  routeNotFound: new ErrorReply('ROUTE_NOT_FOUND', 'no route matches the request'),
  uriTooLong: new ErrorReply('URI_TOO_LONG', 'the request target is longer than 8192 bytes'),
  badRequestTarget: new ErrorReply('BAD_REQUEST', 'the request target is not a valid origin-form path'),
  upgradeNotSupported: new ErrorReply('BAD_REQUEST', 'only WebSocket upgrades are supported'),
  aiNotEnabled: new ErrorReply('UNSUPPORTED_FEATURE', 'AI APIs not enabled on this gateway', 501),
  keyMissing: new ErrorReply('UNAUTHENTICATED', 'an API key is required'),
  keyInvalid: new ErrorReply('UNAUTHENTICATED', 'the API key is not valid'),
  routeForbidden: new ErrorReply('FORBIDDEN', 'this consumer may not use this route'),
  rateLimited: new ErrorReply('RATE_LIMITED', 'rate limit exceeded'),
  unforwardable: new ErrorReply('BAD_REQUEST', 'the request cannot be forwarded as sent'),
  upstreamConnect: new ErrorReply('UPSTREAM_CONNECT', 'the upstream could not be reached'),
  upstreamReset: new ErrorReply('UPSTREAM_RESET', 'the upstream closed the connection before answering'),
  upstreamTimeout: new ErrorReply('UPSTREAM_TIMEOUT', 'the upstream did not answer in time'),
  internal: new ErrorReply('INTERNAL', 'internal error'),
  // Requests node's HTTP parser refused before any handler saw them (`clientError`).
  headersTooLarge: new ErrorReply(
    'HEADERS_TOO_LARGE',
    'the request headers are larger than the gateway accepts',
  ),
  malformed: new ErrorReply('BAD_REQUEST', 'the request is not valid HTTP/1.1'),
  headersTimeout: new ErrorReply('REQUEST_TIMEOUT', 'the request headers did not arrive in time'),
  bodyChunkTooLarge: new ErrorReply(
    'PAYLOAD_TOO_LARGE',
    'a chunk extension of the request body is too large',
  ),
});

/**
 * Answers `res` with `reply`. `extra` is a flat `[name, value, ...]` list (WWW-Authenticate,
 * Retry-After, RateLimit-*). When request body bytes are still unread the connection is closed
 * afterwards rather than drained.
 */
export function sendErrorReply(
  res: ServerResponse,
  reply: ErrorReply,
  requestId: string,
  extra: readonly string[] | null,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = reply.body(requestId);
  const headers = [
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
    'cache-control',
    'no-store',
    'x-request-id',
    requestId,
  ];
  if (extra !== null) for (let i = 0; i < extra.length; i++) headers.push(extra[i]!);
  if (hasUnreadBody(res.req)) headers.push('connection', 'close');
  res.writeHead(reply.status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * Whether the request still has body bytes on the way: node would read and discard them to keep
 * the connection, which for a rejected upload means receiving all of it for nothing.
 */
function hasUnreadBody(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return length === undefined ? req.headers['transfer-encoding'] !== undefined : length !== '0';
}

/** The same reply written raw on an upgrade socket (no `ServerResponse` exists there), then closed. */
export function writeSocketErrorReply(
  socket: Duplex,
  reply: ErrorReply,
  requestId: string,
  extra: readonly string[] | null,
): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = reply.body(requestId);
  let head =
    `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? 'Error'}\r\n` +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    `cache-control: no-store\r\nx-request-id: ${requestId}\r\nconnection: close\r\n`;
  if (extra !== null)
    for (let i = 0; i + 1 < extra.length; i += 2) head += `${extra[i]}: ${extra[i + 1]}\r\n`;
  socket.end(`${head}\r\n${body}`);
}
