import { HubpoError } from '@hubpo/core';
import type { ErrorKind } from '@hubpo/core';
import type { HttpHeaders, ProviderId } from '../provider-adapter.js';
import { headerValue } from './header-value.js';

/** What an adapter extracted from a provider's error response. */
export interface UpstreamErrorInfo {
  readonly provider: ProviderId;
  readonly status: number;
  readonly headers?: HttpHeaders;
  readonly message?: string;
  /** The provider's error type/class (`rate_limit_error`, `ThrottlingException`, `RESOURCE_EXHAUSTED`). */
  readonly type?: string;
  /** The provider's error code (`insufficient_quota`, `context_length_exceeded`). */
  readonly code?: string;
  readonly param?: string;
  /** A retry delay the provider gave in the body (Gemini `RetryInfo`); headers win over it. */
  readonly retryAfterMs?: number;
  /** The provider said it is overloaded (Anthropic 529, Bedrock ServiceUnavailable, Gemini UNAVAILABLE). */
  readonly overloaded?: boolean;
  /** The prompt did not fit the model's context window. */
  readonly contextLength?: boolean;
}

// Compiled once: matched against provider messages that do not carry a specific code.
const CONTEXT_LENGTH_MESSAGE =
  /context[ _-]?(length|window)|prompt is too long|input is too long|too many (input )?tokens|maximum context|exceeds the maximum number of tokens/i;

/**
 * Maps a provider error to a stable Hubpo error kind (see docs/providers/README.md, "Errors"):
 * 400/422 BAD_REQUEST (or CONTEXT_LENGTH_EXCEEDED), 401/403 PROVIDER_AUTH, 404 MODEL_NOT_FOUND,
 * 408 PROVIDER_TIMEOUT, 413 PAYLOAD_TOO_LARGE, 429 PROVIDER_RATE_LIMITED (not retryable when the
 * quota is exhausted), 503/529/overloaded UNAVAILABLE, 504 PROVIDER_TIMEOUT, other 5xx
 * PROVIDER_ERROR. Retry-After is kept in `details.retryAfterMs` (and the raw header in
 * `details.retryAfter`).
 */
export function upstreamError(info: UpstreamErrorInfo): HubpoError {
  const kind = errorKind(info);
  const details: Record<string, string | number | boolean> = {
    provider: info.provider,
    providerStatus: info.status,
  };
  if (info.type !== undefined) details['providerType'] = info.type;
  if (info.code !== undefined) details['providerCode'] = info.code;
  if (info.param !== undefined) details['param'] = info.param;
  if (kind === 'UNAVAILABLE') details['overloaded'] = true;
  const rawRetryAfter = info.headers === undefined ? undefined : headerValue(info.headers, 'retry-after');
  if (rawRetryAfter !== undefined) details['retryAfter'] = rawRetryAfter;
  const retryAfterMs = retryAfterFromHeaders(info.headers) ?? info.retryAfterMs;
  if (retryAfterMs !== undefined) details['retryAfterMs'] = retryAfterMs;
  const message =
    info.message !== undefined && info.message.length > 0
      ? info.message
      : `upstream returned HTTP ${info.status}`;
  const options: { status?: number; retryable?: boolean; details: typeof details } = { details };
  if (kind === 'BAD_REQUEST') options.status = 400;
  if (kind === 'PROVIDER_RATE_LIMITED' && isQuotaExhausted(info)) options.retryable = false;
  return new HubpoError(kind, message, options);
}

function errorKind(info: UpstreamErrorInfo): ErrorKind {
  const { status } = info;
  if (info.contextLength === true || info.code === 'context_length_exceeded')
    return 'CONTEXT_LENGTH_EXCEEDED';
  if (info.overloaded === true || status === 529 || status === 503) return 'UNAVAILABLE';
  if (status === 400 || status === 422) {
    return info.message !== undefined && CONTEXT_LENGTH_MESSAGE.test(info.message)
      ? 'CONTEXT_LENGTH_EXCEEDED'
      : 'BAD_REQUEST';
  }
  if (status === 401 || status === 403) return 'PROVIDER_AUTH';
  if (status === 404) return 'MODEL_NOT_FOUND';
  if (status === 408 || status === 504) return 'PROVIDER_TIMEOUT';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 429) return 'PROVIDER_RATE_LIMITED';
  if (status >= 500) return 'PROVIDER_ERROR';
  if (status >= 400) return 'BAD_REQUEST';
  return 'PROVIDER_ERROR';
}

function isQuotaExhausted(info: UpstreamErrorInfo): boolean {
  return info.code === 'insufficient_quota' || info.type === 'insufficient_quota';
}

/**
 * Retry delay from `retry-after-ms` (OpenAI) or `retry-after` in delta-seconds. An HTTP-date
 * Retry-After needs a clock; it is kept raw in `details.retryAfter` for the gateway to resolve.
 */
export function retryAfterFromHeaders(headers: HttpHeaders | undefined): number | undefined {
  if (headers === undefined) return undefined;
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const v = Number(ms);
    if (Number.isFinite(v) && v >= 0) return Math.round(v);
  }
  const seconds = headerValue(headers, 'retry-after');
  if (seconds !== undefined && seconds.trim() !== '') {
    const v = Number(seconds);
    if (Number.isFinite(v) && v >= 0) return Math.round(v * 1000);
  }
  return undefined;
}
