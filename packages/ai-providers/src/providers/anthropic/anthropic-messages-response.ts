import { HubpoError } from '@hubpo/core';
import type { ChatResponse, Finish, FinishReason, OutputPart } from '../../internal/chat-response.js';
import type { Usage } from '../../internal/usage.js';
import { makeUsage } from '../../internal/usage.js';
import { estimateUsage } from '../../estimate-tokens.js';
import type { HttpHeaders, ResponseBody, ResponseContext } from '../../provider-adapter.js';
import { arrayAt, isObject, numberAt, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import { upstreamError } from '../../shared/upstream-error.js';
import { bodyText } from '../../shared/utf8.js';

const STOP_REASONS: Readonly<Record<string, FinishReason>> = Object.freeze({
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
  pause_turn: 'other',
});

export function anthropicFinish(stopReason: string | undefined, stopSequence: string | undefined): Finish {
  if (stopReason === undefined) return { reason: 'other', raw: null };
  const finish: { reason: FinishReason; raw: string; stopSequence?: string } = {
    reason: STOP_REASONS[stopReason] ?? 'other',
    raw: stopReason,
  };
  if (stopSequence !== undefined) finish.stopSequence = stopSequence;
  return finish;
}

/**
 * Anthropic usage to the Hubpo convention: Anthropic's `input_tokens` excludes cache reads
 * and writes, so the three are added up; thinking is not reported apart from output.
 */
export function anthropicUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage)) return undefined;
  const input = numberAt(usage, 'input_tokens') ?? 0;
  const write = numberAt(usage, 'cache_creation_input_tokens') ?? 0;
  const read = numberAt(usage, 'cache_read_input_tokens') ?? 0;
  return makeUsage({
    inputTokens: input + write + read,
    cachedInputTokens: read,
    cacheWriteInputTokens: write,
    outputTokens: numberAt(usage, 'output_tokens'),
  });
}

/** An Anthropic content block of a response to an output part (unknown blocks are skipped). */
export function anthropicOutputPart(block: unknown): OutputPart | undefined {
  switch (stringAt(block, 'type')) {
    case 'text':
      return { kind: 'text', text: stringAt(block, 'text') ?? '' };
    case 'tool_use':
      return {
        kind: 'tool_call',
        id: stringAt(block, 'id') ?? '',
        name: stringAt(block, 'name') ?? '',
        arguments: JSON.stringify(objectAt(block, 'input') ?? {}),
      };
    case 'thinking': {
      const signature = stringAt(block, 'signature');
      const text = stringAt(block, 'thinking') ?? '';
      return signature === undefined ? { kind: 'thinking', text } : { kind: 'thinking', text, signature };
    }
    case 'redacted_thinking':
      return { kind: 'redacted_thinking', data: stringAt(block, 'data') ?? '' };
    default:
      return undefined;
  }
}

export function parseAnthropicMessage(json: unknown, ctx: ResponseContext | undefined): ChatResponse {
  if (!isObject(json))
    throw new HubpoError('PROVIDER_ERROR', 'upstream response is not a JSON object', {
      details: { provider: 'anthropic' },
    });
  const content: OutputPart[] = [];
  for (const block of arrayAt(json, 'content') ?? []) {
    const part = anthropicOutputPart(block);
    if (part !== undefined) content.push(part);
  }
  return {
    id: stringAt(json, 'id') ?? ctx?.requestId ?? '',
    model: stringAt(json, 'model') ?? ctx?.request?.model ?? '',
    created: Math.floor((ctx?.now ?? 0) / 1000),
    choices: [
      {
        index: 0,
        content,
        finish: anthropicFinish(stringAt(json, 'stop_reason'), stringAt(json, 'stop_sequence')),
      },
    ],
    usage: anthropicUsage(json['usage']) ?? estimateUsage(ctx?.request, content),
  };
}

const ERROR_STATUS: Readonly<Record<string, number>> = Object.freeze({
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
});

/** `{ type: 'error', error: { type, message } }` to a HubpoError; 529 / overloaded_error is overload. */
export function anthropicErrorFromJson(
  status: number | undefined,
  headers: HttpHeaders | undefined,
  json: unknown,
): HubpoError {
  const error = objectAt(json, 'error');
  const type = stringAt(error, 'type');
  const message = stringAt(error, 'message');
  const effective = status ?? (type === undefined ? 500 : (ERROR_STATUS[type] ?? 500));
  return upstreamError({
    provider: 'anthropic',
    status: effective,
    ...(headers === undefined ? {} : { headers }),
    ...(message === undefined ? {} : { message }),
    ...(type === undefined ? {} : { type }),
    ...(type === 'overloaded_error' || effective === 529 ? { overloaded: true } : {}),
  });
}

export function parseAnthropicError(status: number, headers: HttpHeaders, body: ResponseBody): HubpoError {
  return anthropicErrorFromJson(status, headers, tryParseJson(bodyText(body)));
}
