import type {
  CacheControl,
  ChatRequest,
  ContentPart,
  MediaSource,
  Message,
  ToolChoice,
  ToolDefinition,
} from '../../internal/chat-request.js';
import type { TargetConfig } from '../../provider-adapter.js';
import { conversation, hoistedSystem, toolArgumentsObject } from '../../shared/chat-messages.js';
import type { JsonObject } from '../../shared/json-value.js';
import { thinkingBudget } from '../../shared/thinking-budget.js';

/** Anthropic requires `max_tokens`; this is used when neither the request nor the target gives one. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/**
 * The Messages API body (https://docs.anthropic.com/en/api/messages) of a chat request. System and
 * developer messages are hoisted into `system`; tool results travel in user turns, first;
 * consecutive turns of one role are merged, as the API requires alternation.
 */
export function buildAnthropicBody(req: ChatRequest, target: TargetConfig): JsonObject {
  const body: JsonObject = { ...(req.extensions.anthropic ?? {}) };
  body['model'] = target.model;
  const budget = thinkingBudget(req.thinking);
  body['max_tokens'] =
    req.maxTokens ??
    target.defaultMaxTokens ??
    Math.max(ANTHROPIC_DEFAULT_MAX_TOKENS, (budget ?? 0) + ANTHROPIC_DEFAULT_MAX_TOKENS);
  const system = hoistedSystem(req);
  if (system.length > 0)
    body['system'] = system.map((p) => withCache({ type: 'text', text: p.text }, p.cacheControl));
  body['messages'] = anthropicMessages(conversation(req));
  const tools = anthropicTools(req.tools);
  if (tools.length > 0) body['tools'] = tools;
  const toolChoice = anthropicToolChoice(req.toolChoice, req.parallelToolCalls);
  if (toolChoice !== undefined && (tools.length > 0 || req.toolChoice?.kind === 'none'))
    body['tool_choice'] = toolChoice;
  if (req.temperature !== undefined) body['temperature'] = req.temperature;
  if (req.topP !== undefined) body['top_p'] = req.topP;
  if (req.topK !== undefined) body['top_k'] = req.topK;
  if (req.stop !== undefined && req.stop.length > 0) body['stop_sequences'] = req.stop;
  if (req.user !== undefined) body['metadata'] = { user_id: req.user };
  if (req.thinking !== undefined) {
    body['thinking'] =
      req.thinking.kind === 'enabled' ? { type: 'enabled', budget_tokens: budget } : { type: 'disabled' };
  }
  if (req.stream) body['stream'] = true;
  if (target.extraBody !== undefined) Object.assign(body, target.extraBody);
  return body;
}

function withCache(block: JsonObject, cache: CacheControl | undefined): JsonObject {
  if (cache !== undefined)
    block['cache_control'] =
      cache.ttl === undefined ? { type: cache.type } : { type: cache.type, ttl: cache.ttl };
  return block;
}

function anthropicToolChoice(
  choice: ToolChoice | undefined,
  parallel: boolean | undefined,
): JsonObject | undefined {
  const disable = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return parallel === false ? { type: 'auto', ...disable } : undefined;
  switch (choice.kind) {
    case 'auto':
      return { type: 'auto', ...disable };
    case 'none':
      return { type: 'none' };
    case 'required':
      return { type: 'any', ...disable };
    case 'tool':
      return { type: 'tool', name: choice.name, ...disable };
  }
}

function anthropicTools(tools: readonly ToolDefinition[]): JsonObject[] {
  const out: JsonObject[] = [];
  for (const tool of tools) {
    if (tool.kind === 'builtin') {
      if (tool.family === 'anthropic') out.push({ ...tool.value });
      continue;
    }
    const def: JsonObject = { name: tool.name };
    if (tool.description !== undefined) def['description'] = tool.description;
    def['input_schema'] = tool.parameters;
    out.push(withCache(def, tool.cacheControl));
  }
  return out;
}

function anthropicMessages(messages: readonly Message[]): JsonObject[] {
  const out: { role: 'user' | 'assistant'; content: JsonObject[] }[] = [];
  for (const message of messages) {
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks: JsonObject[] = [];
    for (const part of message.content) {
      const block = anthropicBlock(part);
      if (block !== undefined) blocks.push(block);
    }
    if (blocks.length === 0) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.role === role) {
      // tool_result blocks must open a user turn: results merged into a turn go before its text.
      if (role === 'user' && blocks.some((b) => b['type'] === 'tool_result')) {
        const results = blocks.filter((b) => b['type'] === 'tool_result');
        const others = blocks.filter((b) => b['type'] !== 'tool_result');
        const lastResults = last.content.filter((b) => b['type'] === 'tool_result');
        const lastOthers = last.content.filter((b) => b['type'] !== 'tool_result');
        last.content = [...lastResults, ...results, ...lastOthers, ...others];
      } else {
        last.content.push(...blocks);
      }
    } else {
      out.push({ role, content: blocks });
    }
  }
  return out;
}

function anthropicBlock(part: ContentPart): JsonObject | undefined {
  switch (part.kind) {
    case 'text':
      // The API rejects empty text blocks.
      return part.text.length === 0
        ? undefined
        : withCache({ type: 'text', text: part.text }, part.cacheControl);
    case 'image':
      return withCache({ type: 'image', source: anthropicSource(part.source) }, part.cacheControl);
    case 'document': {
      const block: JsonObject = { type: 'document', source: anthropicSource(part.source) };
      if (part.title !== undefined) block['title'] = part.title;
      return withCache(block, part.cacheControl);
    }
    case 'tool_call':
      return withCache(
        {
          type: 'tool_use',
          id: part.id,
          name: part.name,
          input: toolArgumentsObject(part.arguments, part.id),
        },
        part.cacheControl,
      );
    case 'tool_result': {
      const content = part.content.map((inner) =>
        inner.kind === 'text'
          ? { type: 'text', text: inner.text }
          : { type: 'image', source: anthropicSource(inner.source) },
      );
      const block: JsonObject = { type: 'tool_result', tool_use_id: part.toolCallId, content };
      if (part.isError === true) block['is_error'] = true;
      return withCache(block, part.cacheControl);
    }
    case 'thinking':
      // Only Anthropic-signed thinking can be replayed; other providers' reasoning is dropped.
      return part.signature === undefined
        ? undefined
        : { type: 'thinking', thinking: part.text, signature: part.signature };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: part.data };
    case 'opaque':
      return part.family === 'anthropic' ? { ...part.value } : undefined;
  }
}

function anthropicSource(source: MediaSource): JsonObject {
  return source.kind === 'url'
    ? { type: 'url', url: source.url }
    : { type: 'base64', media_type: source.mediaType, data: source.data };
}
