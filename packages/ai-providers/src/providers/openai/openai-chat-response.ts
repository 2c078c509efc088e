import { HubpoError } from '@hubpo/core';
import type { ChatResponse, Choice, Finish, FinishReason, OutputPart } from '../../internal/chat-response.js';
import type { Usage } from '../../internal/usage.js';
import { makeUsage } from '../../internal/usage.js';
import { estimateUsage } from '../../estimate-tokens.js';
import type { ProviderId, ResponseContext } from '../../provider-adapter.js';
import { arrayAt, isObject, numberAt, objectAt, stringAt } from '../../shared/json-value.js';

const FINISH_REASONS: Readonly<Record<string, FinishReason>> = Object.freeze({
  stop: 'stop',
  length: 'length',
  model_length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
  error: 'error',
});

export function openAIFinish(raw: string | null | undefined): Finish {
  if (raw === null || raw === undefined) return { reason: 'other', raw: null };
  return { reason: FINISH_REASONS[raw] ?? 'other', raw };
}

/**
 * OpenAI usage to the Hubpo convention (the same one: prompt tokens include cached ones,
 * completion tokens include reasoning). DeepSeek reports cache hits as `prompt_cache_hit_tokens`.
 */
export function openAIUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage)) return undefined;
  const cached =
    numberAt(objectAt(usage, 'prompt_tokens_details'), 'cached_tokens') ??
    numberAt(usage, 'prompt_cache_hit_tokens');
  return makeUsage({
    inputTokens: numberAt(usage, 'prompt_tokens'),
    cachedInputTokens: cached,
    reasoningTokens: numberAt(objectAt(usage, 'completion_tokens_details'), 'reasoning_tokens'),
    outputTokens: numberAt(usage, 'completion_tokens'),
  });
}

/** A `chat.completion` body (OpenAI dialect) to the internal response. */
export function parseOpenAIChatResponse(
  json: unknown,
  provider: ProviderId,
  ctx: ResponseContext | undefined,
): ChatResponse {
  if (!isObject(json)) {
    throw new HubpoError('PROVIDER_ERROR', 'upstream response is not a JSON object', {
      details: { provider },
    });
  }
  const choices: Choice[] = [];
  const rawChoices = arrayAt(json, 'choices') ?? [];
  for (let i = 0; i < rawChoices.length; i++) choices.push(parseChoice(rawChoices[i], i));
  let usage = openAIUsage(json['usage']);
  if (usage === undefined)
    usage = estimateUsage(
      ctx?.request,
      choices.flatMap((c) => c.content),
    );
  const response: { -readonly [K in keyof ChatResponse]: ChatResponse[K] } = {
    id: stringAt(json, 'id') ?? ctx?.requestId ?? '',
    model: stringAt(json, 'model') ?? ctx?.request?.model ?? '',
    created: numberAt(json, 'created') ?? Math.floor((ctx?.now ?? 0) / 1000),
    choices,
    usage,
  };
  const fingerprint = stringAt(json, 'system_fingerprint');
  if (fingerprint !== undefined) response.systemFingerprint = fingerprint;
  return response;
}

function parseChoice(raw: unknown, position: number): Choice {
  const message = objectAt(raw, 'message');
  const content: OutputPart[] = [];
  // OpenAI-compatible reasoning servers (DeepSeek, vLLM) put reasoning in `reasoning_content`.
  const reasoning = stringAt(message, 'reasoning_content') ?? stringAt(message, 'reasoning');
  if (reasoning !== undefined && reasoning.length > 0) content.push({ kind: 'thinking', text: reasoning });
  appendMessageContent(content, message?.['content']);
  const refusal = stringAt(message, 'refusal');
  if (refusal !== undefined && refusal.length > 0) content.push({ kind: 'refusal', text: refusal });
  for (const call of arrayAt(message, 'tool_calls') ?? []) {
    const fn = objectAt(call, 'function');
    content.push({
      kind: 'tool_call',
      id: stringAt(call, 'id') ?? '',
      name: stringAt(fn, 'name') ?? '',
      arguments: stringAt(fn, 'arguments') ?? '',
    });
  }
  const choice: { -readonly [K in keyof Choice]: Choice[K] } = {
    index: numberAt(raw, 'index') ?? position,
    content,
    finish: openAIFinish(stringAt(raw, 'finish_reason')),
  };
  const logprobs = isObject(raw) ? raw['logprobs'] : undefined;
  if (logprobs !== undefined && logprobs !== null) choice.logprobs = logprobs;
  return choice;
}

/** Message content: a string, or (Mistral) an array of text / thinking chunks. */
function appendMessageContent(out: OutputPart[], content: unknown): void {
  if (typeof content === 'string') {
    if (content.length > 0) out.push({ kind: 'text', text: content });
    return;
  }
  if (!Array.isArray(content)) return;
  for (const chunk of content) {
    const type = stringAt(chunk, 'type');
    if (type === 'text') {
      const text = stringAt(chunk, 'text') ?? '';
      if (text.length > 0) out.push({ kind: 'text', text });
    } else if (type === 'thinking') {
      let text = '';
      for (const inner of arrayAt(chunk, 'thinking') ?? []) text += stringAt(inner, 'text') ?? '';
      if (text.length > 0) out.push({ kind: 'thinking', text });
    }
  }
}
