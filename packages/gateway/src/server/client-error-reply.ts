import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_URL_LENGTH, Replies, writeSocketErrorReply } from '../runtime/index.js';
import type { ErrorReply, RequestIds } from '../runtime/index.js';

/** What node hands to `clientError`: its parser's code and the bytes it choked on. */
export interface ClientError extends Error {
  readonly code?: string;
  readonly rawPacket?: Buffer;
}

/** Node keeps the response in progress on the socket; a reply must not cut into its bytes. */
type ServedSocket = Duplex & { readonly _httpMessage?: ServerResponse | null };

const REQUEST_LINE_START = /^[A-Z]{3,10} /;

function destroySocket(this: Duplex): void {
  this.destroy();
}

/**
 * Answers a request node's HTTP parser refused before any handler saw it, in the gateway's JSON
 * error shape with a stable code, instead of node's bare status line: 431
 * HUBPO_ERR_HEADERS_TOO_LARGE (414 HUBPO_ERR_URI_TOO_LONG when the request line alone is too
 * long), 413 for an oversized chunk extension, 408 when the headers did not arrive in time, else
 * 400 HUBPO_ERR_BAD_REQUEST. The connection is closed afterwards (the parser cannot resume). As
 * node does, nothing is written when the client is gone or a response already started.
 */
export function answerClientError(error: ClientError, socket: Duplex, ids: RequestIds): void {
  const inFlight = (socket as ServedSocket)._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || (inFlight != null && inFlight.headersSent)) {
    socket.destroy();
    return;
  }
  socket.once('finish', destroySocket);
  writeSocketErrorReply(socket, replyFor(error), ids.next(), null);
}

export function replyFor(error: ClientError): ErrorReply {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return requestLineTooLong(error.rawPacket) ? Replies.uriTooLong : Replies.headersTooLarge;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return Replies.bodyChunkTooLarge;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return Replies.headersTimeout;
    default:
      return Replies.malformed;
  }
}

/** The refused bytes start with a request line longer than the gateway's target limit. */
function requestLineTooLong(packet: Buffer | undefined): boolean {
  if (packet === undefined || !REQUEST_LINE_START.test(packet.toString('latin1', 0, 11))) return false;
  const end = packet.indexOf(10);
  return end === -1 || end > MAX_URL_LENGTH;
}
