import type { ServerResponse } from 'node:http';
import type { HubpoError } from '@hubpo/core';

/** Writes `body` as a JSON response (no caching: every body here describes live state). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/**
 * The gateway's own error body for answers given before any route exists (e.g. not ready):
 * `{ "error": { "code": "HUBPO_ERR_...", "message": "...", "retryable": true } }`.
 */
export function errorBody(error: HubpoError): { readonly error: Record<string, string | boolean> } {
  return { error: { code: error.code, message: error.message, retryable: error.retryable } };
}
