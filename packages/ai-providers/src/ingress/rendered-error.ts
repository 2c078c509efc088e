import type { HubpoError } from '@hubpo/core';

/** An error response ready to send: status, headers (lower-case), JSON body text. */
export interface RenderedError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** `retry-after` in whole seconds when the error carries a retry delay. */
export function errorHeaders(error: HubpoError): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const ms = error.details['retryAfterMs'];
  if (typeof ms === 'number') headers['retry-after'] = String(Math.max(0, Math.ceil(ms / 1000)));
  else if (typeof error.details['retryAfter'] === 'string')
    headers['retry-after'] = error.details['retryAfter'];
  return headers;
}

const ARRAY_INDEX = /^\d+$/;

/** `/messages/0/content` -> `messages[0].content` (how OpenAI names a `param`). */
export function pointerToParam(pointer: string): string {
  let out = '';
  for (const segment of pointer.split('/')) {
    if (segment === '') continue;
    if (ARRAY_INDEX.test(segment)) out += `[${segment}]`;
    else out += out.length === 0 ? segment : `.${segment}`;
  }
  return out;
}
