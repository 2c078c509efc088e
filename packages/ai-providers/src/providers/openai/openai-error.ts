import type { HubpoError } from '@hubpo/core';
import type { HttpHeaders, ProviderId, ResponseBody } from '../../provider-adapter.js';
import { isObject, numberAt, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import { upstreamError } from '../../shared/upstream-error.js';
import { bodyText } from '../../shared/utf8.js';

/**
 * An OpenAI-dialect error (`{ error: { message, type, param, code } }`; Mistral may send
 * `{ message, type, code }` or `{ detail }` at the top level) to a HubpoError.
 */
export function parseOpenAIError(
  provider: ProviderId,
  status: number,
  headers: HttpHeaders,
  body: ResponseBody,
): HubpoError {
  const json = tryParseJson(bodyText(body));
  return openAIErrorFromJson(provider, status, headers, json);
}

export function openAIErrorFromJson(
  provider: ProviderId,
  status: number,
  headers: HttpHeaders | undefined,
  json: unknown,
): HubpoError {
  const error = objectAt(json, 'error') ?? (isObject(json) ? json : undefined);
  const code = error?.['code'];
  const message =
    stringAt(error, 'message') ??
    (typeof error?.['detail'] === 'string' ? (error['detail'] as string) : undefined);
  const type = stringAt(error, 'type');
  const param = stringAt(error, 'param');
  const info: Parameters<typeof upstreamError>[0] = {
    provider,
    status,
    ...(headers === undefined ? {} : { headers }),
    ...(message === undefined ? {} : { message }),
    ...(type === undefined ? {} : { type }),
    ...(typeof code === 'string' ? { code } : {}),
    ...(param === undefined ? {} : { param }),
    ...(type === 'server_overloaded' || code === 'server_overloaded' ? { overloaded: true } : {}),
  };
  return upstreamError(info);
}

/** Status to assume for an error object sent inside a stream (the HTTP status was already 200). */
export function streamErrorStatus(error: unknown): number {
  const code = isObject(error) ? error['code'] : undefined;
  const numeric = numberAt(error, 'status') ?? (typeof code === 'number' ? code : undefined);
  if (numeric !== undefined && numeric >= 400) return numeric;
  const type = stringAt(error, 'type') ?? '';
  if (type.includes('rate_limit') || code === 'rate_limit_exceeded') return 429;
  if (type.includes('overloaded')) return 503;
  if (type === 'invalid_request_error') return 400;
  return 500;
}
