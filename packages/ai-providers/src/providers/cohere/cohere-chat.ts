import { HubpoError } from '@hubpo/core';
import type { ChatRequest, ContentPart, Message, ToolDefinition } from '../../internal/chat-request.js';
import type { ChatResponse, Finish, FinishReason, OutputPart } from '../../internal/chat-response.js';
import type { Usage } from '../../internal/usage.js';
import { makeUsage } from '../../internal/usage.js';
import { estimateUsage } from '../../estimate-tokens.js';
import type { HttpHeaders, ResponseBody, ResponseContext, TargetConfig } from '../../provider-adapter.js';
import { mediaUrl, toolResultText } from '../../shared/chat-messages.js';
import type { JsonObject } from '../../shared/json-value.js';
import { arrayAt, isObject, numberAt, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import { thinkingBudget } from '../../shared/thinking-budget.js';
import { upstreamError } from '../../shared/upstream-error.js';
import { bodyText } from '../../shared/utf8.js';

/**
 * Cohere Chat API v2 (https://docs.cohere.com/reference/chat) body of a chat request. Cohere has
 * no "call this specific tool" choice: it is expressed as `tool_choice: REQUIRED` with only that
 * tool offered.
 */
export function buildCohereBody(req: ChatRequest, target: TargetConfig): JsonObject {
  const body: JsonObject = { ...(req.extensions.cohere ?? {}) };
  body['model'] = target.model;
  body['messages'] = cohereMessages(req);
  const only = req.toolChoice?.kind === 'tool' ? req.toolChoice.name : undefined;
  const tools = cohereTools(req.tools, only);
  if (tools.length > 0) body['tools'] = tools;
  if (req.toolChoice?.kind === 'required' || req.toolChoice?.kind === 'tool')
    body['tool_choice'] = 'REQUIRED';
  if (req.toolChoice?.kind === 'none') body['tool_choice'] = 'NONE';
  const format = req.responseFormat;
  if (format?.kind === 'json_object') body['response_format'] = { type: 'json_object' };
  if (format?.kind === 'json_schema')
    body['response_format'] = { type: 'json_object', json_schema: format.schema };
  if (req.temperature !== undefined) body['temperature'] = req.temperature;
  if (req.topP !== undefined) body['p'] = req.topP;
  if (req.topK !== undefined) body['k'] = req.topK;
  if (req.maxTokens !== undefined) body['max_tokens'] = req.maxTokens;
  if (req.stop !== undefined && req.stop.length > 0) body['stop_sequences'] = req.stop;
  if (req.seed !== undefined) body['seed'] = req.seed;
  if (req.presencePenalty !== undefined) body['presence_penalty'] = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) body['frequency_penalty'] = req.frequencyPenalty;
  if (req.thinking !== undefined) {
    body['thinking'] =
      req.thinking.kind === 'enabled'
        ? { type: 'enabled', token_budget: thinkingBudget(req.thinking) }
        : { type: 'disabled' };
  }
  body['stream'] = req.stream;
  if (target.extraBody !== undefined) Object.assign(body, target.extraBody);
  return body;
}

function cohereTools(tools: readonly ToolDefinition[], only: string | undefined): JsonObject[] {
  const out: JsonObject[] = [];
  for (const tool of tools) {
    if (tool.kind === 'builtin') {
      if (tool.family === 'cohere' && only === undefined) out.push({ ...tool.value });
      continue;
    }
    if (only !== undefined && tool.name !== only) continue;
    const fn: JsonObject = { name: tool.name };
    if (tool.description !== undefined) fn['description'] = tool.description;
    fn['parameters'] = tool.parameters;
    out.push({ type: 'function', function: fn });
  }
  return out;
}

function cohereMessages(req: ChatRequest): JsonObject[] {
  const out: JsonObject[] = [];
  for (const part of req.system) out.push({ role: 'system', content: part.text });
  for (const message of req.messages) appendMessage(out, message);
  return out;
}

function appendMessage(out: JsonObject[], message: Message): void {
  if (message.role === 'system' || message.role === 'developer') {
    let text = '';
    for (const part of message.content) if (part.kind === 'text') text += part.text;
    out.push({ role: 'system', content: text });
    return;
  }
  if (message.role === 'assistant') {
    out.push(assistantMessage(message.content));
    return;
  }
  const parts: JsonObject[] = [];
  for (const part of message.content) {
    if (part.kind === 'tool_result') {
      out.push({ role: 'tool', tool_call_id: part.toolCallId, content: toolResultText(part) });
      continue;
    }
    const converted = userPart(part);
    if (converted !== undefined) parts.push(converted);
  }
  if (parts.length === 0) return;
  const onlyText = parts.length === 1 && parts[0]?.['type'] === 'text';
  out.push({ role: 'user', content: onlyText ? (parts[0] as JsonObject)['text'] : parts });
}

function assistantMessage(content: readonly ContentPart[]): JsonObject {
  let text = '';
  const calls: JsonObject[] = [];
  for (const part of content) {
    if (part.kind === 'text') text += part.text;
    else if (part.kind === 'tool_call')
      calls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
  }
  const body: JsonObject = { role: 'assistant' };
  if (text.length > 0) body['content'] = text;
  if (calls.length > 0) body['tool_calls'] = calls;
  if (text.length === 0 && calls.length === 0) body['content'] = '';
  return body;
}

function userPart(part: ContentPart): JsonObject | undefined {
  switch (part.kind) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image':
      return { type: 'image_url', image_url: { url: mediaUrl(part.source) } };
    case 'opaque':
      return part.family === 'cohere' ? { ...part.value } : undefined;
    default:
      return undefined;
  }
}

const FINISH_REASONS: Readonly<Record<string, FinishReason>> = Object.freeze({
  COMPLETE: 'stop',
  STOP_SEQUENCE: 'stop',
  MAX_TOKENS: 'length',
  TOOL_CALL: 'tool_calls',
  ERROR: 'error',
  TIMEOUT: 'error',
});

export function cohereFinish(raw: string | undefined): Finish {
  return raw === undefined ? { reason: 'other', raw: null } : { reason: FINISH_REASONS[raw] ?? 'other', raw };
}

/**
 * Cohere usage: `billed_units` are what Cohere charges for, so they are preferred; `tokens`
 * (which include Cohere's prompt template) are the fallback. `cached_tokens` are cache reads.
 */
export function cohereUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage)) return undefined;
  const billed = objectAt(usage, 'billed_units');
  const tokens = objectAt(usage, 'tokens');
  const source = billed !== undefined && numberAt(billed, 'input_tokens') !== undefined ? billed : tokens;
  if (source === undefined) return undefined;
  return makeUsage({
    inputTokens: numberAt(source, 'input_tokens'),
    cachedInputTokens: numberAt(usage, 'cached_tokens'),
    outputTokens: numberAt(source, 'output_tokens'),
  });
}

export function parseCohereResponse(json: unknown, ctx: ResponseContext | undefined): ChatResponse {
  if (!isObject(json))
    throw new HubpoError('PROVIDER_ERROR', 'upstream response is not a JSON object', {
      details: { provider: 'cohere' },
    });
  const message = objectAt(json, 'message');
  const content: OutputPart[] = [];
  const plan = stringAt(message, 'tool_plan');
  if (plan !== undefined && plan.length > 0) content.push({ kind: 'thinking', text: plan });
  for (const block of arrayAt(message, 'content') ?? []) {
    const type = stringAt(block, 'type');
    if (type === 'text') content.push({ kind: 'text', text: stringAt(block, 'text') ?? '' });
    else if (type === 'thinking') content.push({ kind: 'thinking', text: stringAt(block, 'thinking') ?? '' });
  }
  for (const call of arrayAt(message, 'tool_calls') ?? []) {
    const fn = objectAt(call, 'function');
    content.push({
      kind: 'tool_call',
      id: stringAt(call, 'id') ?? '',
      name: stringAt(fn, 'name') ?? '',
      arguments: stringAt(fn, 'arguments') ?? '',
    });
  }
  return {
    id: stringAt(json, 'id') ?? ctx?.requestId ?? '',
    model: ctx?.request?.model ?? '',
    created: Math.floor((ctx?.now ?? 0) / 1000),
    choices: [{ index: 0, content, finish: cohereFinish(stringAt(json, 'finish_reason')) }],
    usage: cohereUsage(json['usage']) ?? estimateUsage(ctx?.request, content),
  };
}

/** Cohere errors are `{ id?, message }`. */
export function parseCohereError(status: number, headers: HttpHeaders, body: ResponseBody): HubpoError {
  const json = tryParseJson(bodyText(body));
  const message = stringAt(json, 'message');
  return upstreamError({
    provider: 'cohere',
    status,
    headers,
    ...(message === undefined ? {} : { message }),
  });
}
