import type { ChatResponse, Finish, FinishReason, OutputPart } from '../../internal/chat-response.js';
import type { Usage } from '../../internal/usage.js';
import { uncachedInputTokens } from '../../internal/usage.js';
import { tryParseJson } from '../../shared/json-value.js';
import type { JsonObject } from '../../shared/json-value.js';

const STOP_REASONS: Readonly<Record<FinishReason, string>> = Object.freeze({
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
  error: 'end_turn',
  other: 'end_turn',
});

const ANTHROPIC_STOP_REASONS: ReadonlySet<string> = new Set([
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
  'model_context_window_exceeded',
]);

/** The `stop_reason` to show: the provider's own when it is an Anthropic value, else mapped. */
export function anthropicStopReason(finish: Finish): string {
  if (finish.raw !== null && ANTHROPIC_STOP_REASONS.has(finish.raw)) return finish.raw;
  if (finish.stopSequence !== undefined) return 'stop_sequence';
  return STOP_REASONS[finish.reason];
}

/** Hubpo usage in Anthropic's shape: `input_tokens` excludes cache reads and writes. */
export function renderAnthropicUsage(usage: Usage): JsonObject {
  return {
    input_tokens: uncachedInputTokens(usage),
    cache_creation_input_tokens: usage.cacheWriteInputTokens,
    cache_read_input_tokens: usage.cachedInputTokens,
    output_tokens: usage.outputTokens,
  };
}

/** An output part as an Anthropic content block (refusals become text). */
export function anthropicContentBlock(part: OutputPart): JsonObject {
  switch (part.kind) {
    case 'text':
    case 'refusal':
      return { type: 'text', text: part.text };
    case 'tool_call': {
      const input = part.arguments.trim() === '' ? {} : tryParseJson(part.arguments);
      return { type: 'tool_use', id: part.id, name: part.name, input: input ?? {} };
    }
    case 'thinking':
      return { type: 'thinking', thinking: part.text, signature: part.signature ?? '' };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: part.data };
  }
}

/**
 * An Anthropic `message` object (https://docs.anthropic.com/en/api/messages). Only the first
 * choice is shown: the Messages API has no `n`.
 */
export function renderAnthropicMessage(
  response: ChatResponse,
  options: { readonly model?: string } = {},
): JsonObject {
  const choice = response.choices[0];
  const finish = choice?.finish ?? { reason: 'other', raw: null };
  return {
    id: response.id,
    type: 'message',
    role: 'assistant',
    model: options.model ?? response.model,
    content: (choice?.content ?? []).map(anthropicContentBlock),
    stop_reason: anthropicStopReason(finish),
    stop_sequence: finish.stopSequence ?? null,
    usage: renderAnthropicUsage(response.usage),
  };
}
