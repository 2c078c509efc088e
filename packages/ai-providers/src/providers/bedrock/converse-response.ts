import { HubpoError } from '@hubpo/core';
import type { ChatResponse, Finish, FinishReason, OutputPart } from '../../internal/chat-response.js';
import type { Usage } from '../../internal/usage.js';
import { makeUsage } from '../../internal/usage.js';
import { estimateUsage } from '../../estimate-tokens.js';
import type { HttpHeaders, ResponseBody, ResponseContext } from '../../provider-adapter.js';
import { headerValue } from '../../shared/header-value.js';
import { arrayAt, isObject, numberAt, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import { upstreamError } from '../../shared/upstream-error.js';
import { bodyText } from '../../shared/utf8.js';

const STOP_REASONS: Readonly<Record<string, FinishReason>> = Object.freeze({
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
});

export function converseFinish(raw: string | undefined): Finish {
  return raw === undefined ? { reason: 'other', raw: null } : { reason: STOP_REASONS[raw] ?? 'other', raw };
}

/**
 * Converse `usage` to the Hubpo convention: `inputTokens` excludes cache reads and writes
 * (`totalTokens` = input + output + cacheRead + cacheWrite), so they are added up.
 */
export function converseUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage)) return undefined;
  const read = numberAt(usage, 'cacheReadInputTokens') ?? 0;
  const write = numberAt(usage, 'cacheWriteInputTokens') ?? 0;
  return makeUsage({
    inputTokens: (numberAt(usage, 'inputTokens') ?? 0) + read + write,
    cachedInputTokens: read,
    cacheWriteInputTokens: write,
    outputTokens: numberAt(usage, 'outputTokens'),
  });
}

function outputPart(block: unknown): OutputPart | undefined {
  const text = stringAt(block, 'text');
  if (text !== undefined) return { kind: 'text', text };
  const toolUse = objectAt(block, 'toolUse');
  if (toolUse !== undefined) {
    return {
      kind: 'tool_call',
      id: stringAt(toolUse, 'toolUseId') ?? '',
      name: stringAt(toolUse, 'name') ?? '',
      arguments: JSON.stringify(toolUse['input'] ?? {}),
    };
  }
  const reasoning = objectAt(block, 'reasoningContent');
  if (reasoning === undefined) return undefined;
  const redacted = stringAt(reasoning, 'redactedContent');
  if (redacted !== undefined) return { kind: 'redacted_thinking', data: redacted };
  const reasoningText = objectAt(reasoning, 'reasoningText');
  const signature = stringAt(reasoningText, 'signature');
  const thought = stringAt(reasoningText, 'text') ?? '';
  return signature === undefined
    ? { kind: 'thinking', text: thought }
    : { kind: 'thinking', text: thought, signature };
}

/** Converse has no response id; the `x-amzn-requestid` header, else the gateway's request id, stands in. */
export function parseConverseResponse(
  json: unknown,
  headers: HttpHeaders,
  ctx: ResponseContext | undefined,
): ChatResponse {
  if (!isObject(json))
    throw new HubpoError('PROVIDER_ERROR', 'upstream response is not a JSON object', {
      details: { provider: 'bedrock' },
    });
  const content: OutputPart[] = [];
  for (const block of arrayAt(objectAt(objectAt(json, 'output'), 'message'), 'content') ?? []) {
    const part = outputPart(block);
    if (part !== undefined) content.push(part);
  }
  return {
    id: headerValue(headers, 'x-amzn-requestid') ?? ctx?.requestId ?? '',
    model: ctx?.request?.model ?? '',
    created: Math.floor((ctx?.now ?? 0) / 1000),
    choices: [{ index: 0, content, finish: converseFinish(stringAt(json, 'stopReason')) }],
    usage: converseUsage(json['usage']) ?? estimateUsage(ctx?.request, content),
  };
}

/** HTTP status of each Bedrock runtime exception (the API reference "Errors" sections). */
const EXCEPTION_STATUS: Readonly<Record<string, number>> = Object.freeze({
  ValidationException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 401,
  ExpiredTokenException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  ThrottlingException: 429,
  ServiceQuotaExceededException: 429,
  ModelNotReadyException: 429,
  InternalServerException: 500,
  ModelStreamErrorException: 500,
  ServiceUnavailableException: 503,
});

/** `ThrottlingException:http://internal.amazon.com/...` or stream `throttlingException` to `ThrottlingException`. */
function exceptionName(raw: string): string {
  const colon = raw.indexOf(':');
  const name = colon === -1 ? raw : raw.slice(0, colon);
  return name.length === 0 ? name : name.charAt(0).toUpperCase() + name.slice(1);
}

export function bedrockError(
  type: string | undefined,
  status: number | undefined,
  message: string | undefined,
  headers?: HttpHeaders,
): HubpoError {
  const name = type === undefined ? undefined : exceptionName(type);
  const effective = status ?? (name === undefined ? 500 : (EXCEPTION_STATUS[name] ?? 500));
  return upstreamError({
    provider: 'bedrock',
    status: name === 'ModelErrorException' || name === 'ModelStreamErrorException' ? 500 : effective,
    ...(headers === undefined ? {} : { headers }),
    ...(message === undefined ? {} : { message }),
    ...(name === undefined ? {} : { type: name }),
    ...(name === 'ServiceUnavailableException' || name === 'ModelNotReadyException'
      ? { overloaded: true }
      : {}),
  });
}

export function parseBedrockError(status: number, headers: HttpHeaders, body: ResponseBody): HubpoError {
  const json = tryParseJson(bodyText(body));
  const type = headerValue(headers, 'x-amzn-errortype') ?? stringAt(json, '__type');
  const message = stringAt(json, 'message') ?? stringAt(json, 'Message');
  return bedrockError(type, status, message, headers);
}
