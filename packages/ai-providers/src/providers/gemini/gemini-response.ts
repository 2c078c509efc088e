import { HubpoError } from '@hubpo/core';
import type { ChatResponse, Choice, Finish, FinishReason, OutputPart } from '../../internal/chat-response.js';
import type { Usage } from '../../internal/usage.js';
import { makeUsage } from '../../internal/usage.js';
import { estimateUsage } from '../../estimate-tokens.js';
import type { HttpHeaders, ResponseBody, ResponseContext } from '../../provider-adapter.js';
import { arrayAt, isObject, numberAt, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import { upstreamError } from '../../shared/upstream-error.js';
import { bodyText } from '../../shared/utf8.js';

const FINISH_REASONS: Readonly<Record<string, FinishReason>> = Object.freeze({
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'error',
  UNEXPECTED_TOOL_CALL: 'error',
});

/** Gemini says STOP after function calls too; the normalized reason then is `tool_calls`. */
export function geminiFinish(raw: string, calledTools: boolean): Finish {
  const reason = FINISH_REASONS[raw] ?? 'other';
  return { reason: reason === 'stop' && calledTools ? 'tool_calls' : reason, raw };
}

/**
 * `usageMetadata` to the Hubpo convention: `promptTokenCount` already includes cached content;
 * tool-use prompt tokens are input too; `candidatesTokenCount` excludes thoughts, which are added
 * to output and reported as reasoning.
 */
export function geminiUsage(metadata: unknown): Usage | undefined {
  if (!isObject(metadata)) return undefined;
  const thoughts = numberAt(metadata, 'thoughtsTokenCount') ?? 0;
  return makeUsage({
    inputTokens:
      (numberAt(metadata, 'promptTokenCount') ?? 0) + (numberAt(metadata, 'toolUsePromptTokenCount') ?? 0),
    cachedInputTokens: numberAt(metadata, 'cachedContentTokenCount'),
    reasoningTokens: thoughts,
    outputTokens: (numberAt(metadata, 'candidatesTokenCount') ?? 0) + thoughts,
  });
}

/**
 * Gemini may send function calls without ids; ids are then derived from the response id (or
 * the request id) and the call's position, so they are stable and unique within a response.
 */
export function geminiCallId(responseId: string, choice: number, position: number): string {
  return `call_${responseId}_${choice}_${position}`;
}

export function parseGeminiResponse(json: unknown, ctx: ResponseContext | undefined): ChatResponse {
  if (!isObject(json))
    throw new HubpoError('PROVIDER_ERROR', 'upstream response is not a JSON object', {
      details: { provider: 'gemini' },
    });
  const id = stringAt(json, 'responseId') ?? ctx?.requestId ?? '';
  const choices: Choice[] = [];
  const candidates = arrayAt(json, 'candidates') ?? [];
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i];
    const index = numberAt(candidate, 'index') ?? i;
    const content: OutputPart[] = [];
    let calls = 0;
    for (const part of arrayAt(objectAt(candidate, 'content'), 'parts') ?? []) {
      const call = objectAt(part, 'functionCall');
      if (call !== undefined) {
        const signature = stringAt(part, 'thoughtSignature');
        content.push({
          kind: 'tool_call',
          id: stringAt(call, 'id') ?? geminiCallId(id, index, calls),
          name: stringAt(call, 'name') ?? '',
          arguments: JSON.stringify(objectAt(call, 'args') ?? {}),
          ...(signature === undefined ? {} : { signature }),
        });
        calls++;
        continue;
      }
      const text = stringAt(part, 'text');
      if (text === undefined || text.length === 0) continue;
      const last = content[content.length - 1];
      const kind = part !== null && (part as { thought?: unknown }).thought === true ? 'thinking' : 'text';
      if (last !== undefined && last.kind === kind)
        content[content.length - 1] = { kind, text: last.text + text };
      else content.push({ kind, text });
    }
    const raw = stringAt(candidate, 'finishReason');
    choices.push({
      index,
      content,
      finish: raw === undefined ? { reason: 'other', raw: null } : geminiFinish(raw, calls > 0),
    });
  }
  const blocked = stringAt(objectAt(json, 'promptFeedback'), 'blockReason');
  if (choices.length === 0 && blocked !== undefined) {
    choices.push({ index: 0, content: [], finish: { reason: 'content_filter', raw: blocked } });
  }
  return {
    id,
    model: stringAt(json, 'modelVersion') ?? ctx?.request?.model ?? '',
    created: Math.floor((ctx?.now ?? 0) / 1000),
    choices,
    usage:
      geminiUsage(json['usageMetadata']) ??
      estimateUsage(
        ctx?.request,
        choices.flatMap((c) => c.content),
      ),
  };
}

const RETRY_DELAY = /^(\d+(?:\.\d+)?)s$/;

/**
 * A Google API error (`{ error: { code, message, status, details } }`) to a HubpoError.
 * `RESOURCE_EXHAUSTED` is rate limiting; `UNAVAILABLE` is overload; a `RetryInfo` detail gives
 * the retry delay when no Retry-After header does.
 */
export function geminiErrorFromJson(
  status: number | undefined,
  headers: HttpHeaders | undefined,
  json: unknown,
): HubpoError {
  const error = objectAt(json, 'error') ?? objectAt(tryParseArrayHead(json), 'error');
  const code = numberAt(error, 'code');
  const rpcStatus = stringAt(error, 'status');
  let retryAfterMs: number | undefined;
  for (const detail of arrayAt(error, 'details') ?? []) {
    const delay = stringAt(detail, 'retryDelay');
    const match = delay === undefined ? null : RETRY_DELAY.exec(delay);
    if (match !== null) retryAfterMs = Math.round(Number(match[1]) * 1000);
  }
  // AI Studio answers a bad API key with 400 INVALID_ARGUMENT + ErrorInfo API_KEY_INVALID.
  const keyInvalid = (arrayAt(error, 'details') ?? []).some(
    (d) => stringAt(d, 'reason') === 'API_KEY_INVALID',
  );
  const effective = keyInvalid ? 401 : (status ?? code ?? 500);
  const message = stringAt(error, 'message');
  return upstreamError({
    provider: 'gemini',
    status: effective,
    ...(headers === undefined ? {} : { headers }),
    ...(message === undefined ? {} : { message }),
    ...(rpcStatus === undefined ? {} : { type: rpcStatus }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(rpcStatus === 'UNAVAILABLE' ? { overloaded: true } : {}),
  });
}

/** Some Google front ends wrap the error in a one-element array. */
function tryParseArrayHead(json: unknown): unknown {
  return Array.isArray(json) ? json[0] : undefined;
}

export function parseGeminiError(status: number, headers: HttpHeaders, body: ResponseBody): HubpoError {
  return geminiErrorFromJson(status, headers, tryParseJson(bodyText(body)));
}
