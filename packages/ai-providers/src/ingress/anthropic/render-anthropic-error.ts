import type { HubpoError } from '@hubpo/core';
import type { RenderedError } from '../rendered-error.js';
import { errorHeaders } from '../rendered-error.js';

const TYPES_BY_STATUS: Readonly<Record<number, string>> = Object.freeze({
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
});

/** Anthropic error `type` and status of a HubpoError; overload is shown as Anthropic's 529. */
export function anthropicErrorType(error: HubpoError): { readonly type: string; readonly status: number } {
  if (error.kind === 'UNAVAILABLE' || error.details['overloaded'] === true)
    return { type: 'overloaded_error', status: 529 };
  const type = TYPES_BY_STATUS[error.status] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type, status: error.status };
}

/** The error body `{ type: 'error', error: { type, message } }` as JSON text. */
export function anthropicErrorBody(error: HubpoError, requestId?: string): string {
  const body: Record<string, unknown> = {
    type: 'error',
    error: { type: anthropicErrorType(error).type, message: error.message },
  };
  if (requestId !== undefined) body['request_id'] = requestId;
  return JSON.stringify(body);
}

/** A HubpoError as an Anthropic error response (https://docs.anthropic.com/en/api/errors). */
export function renderAnthropicError(error: HubpoError, requestId?: string): RenderedError {
  return {
    status: anthropicErrorType(error).status,
    headers: errorHeaders(error),
    body: anthropicErrorBody(error, requestId),
  };
}
