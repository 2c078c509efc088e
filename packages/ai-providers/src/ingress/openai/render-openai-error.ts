import type { ErrorKind, HubpoError } from '@hubpo/core';
import type { RenderedError } from '../rendered-error.js';
import { errorHeaders, pointerToParam } from '../rendered-error.js';

const TYPES: Partial<Readonly<Record<ErrorKind, string>>> = Object.freeze({
  UNAUTHENTICATED: 'authentication_error',
  FORBIDDEN: 'permission_error',
  MODEL_NOT_ALLOWED: 'permission_error',
  RATE_LIMITED: 'rate_limit_error',
  PROVIDER_RATE_LIMITED: 'rate_limit_error',
  NOT_FOUND: 'invalid_request_error',
  MODEL_NOT_FOUND: 'invalid_request_error',
});

/** OpenAI's own `code` values where one exists; otherwise the stable Hubpo code. */
const CODES: Partial<Readonly<Record<ErrorKind, string>>> = Object.freeze({
  CONTEXT_LENGTH_EXCEEDED: 'context_length_exceeded',
  MODEL_NOT_FOUND: 'model_not_found',
  RATE_LIMITED: 'rate_limit_exceeded',
  PROVIDER_RATE_LIMITED: 'rate_limit_exceeded',
  UNAUTHENTICATED: 'invalid_api_key',
});

/**
 * A HubpoError as an OpenAI error response: `{ error: { message, type, param, code } }`
 * (https://platform.openai.com/docs/guides/error-codes). `param` names the first bad field.
 */
export function renderOpenAIError(error: HubpoError): RenderedError {
  const type = TYPES[error.kind] ?? (error.status >= 500 ? 'server_error' : 'invalid_request_error');
  const first = error.issues[0];
  const param = first === undefined || first.path === '' ? null : pointerToParam(first.path);
  const code =
    CODES[error.kind] ?? (error.kind === 'PROVIDER_RATE_LIMITED' ? 'rate_limit_exceeded' : error.code);
  const body = JSON.stringify({ error: { message: error.message, type, param, code } });
  return { status: error.status, headers: errorHeaders(error), body };
}
