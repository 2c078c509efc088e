import type { ChatResponse, Choice, FinishReason } from '../../internal/chat-response.js';
import type { Usage } from '../../internal/usage.js';
import type { JsonObject } from '../../shared/json-value.js';

const FINISH: Readonly<Record<FinishReason, string>> = Object.freeze({
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  content_filter: 'content_filter',
  error: 'stop',
  other: 'stop',
});

export function openAIFinishReason(reason: FinishReason): string {
  return FINISH[reason];
}

/** Hubpo usage in OpenAI's shape (the same convention: cached ⊆ prompt, reasoning ⊆ completion). */
export function renderOpenAIUsage(usage: Usage): JsonObject {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}

export interface OpenAIRenderOptions {
  /** The model name to show the client (e.g. the alias it asked for); default: the upstream's. */
  readonly model?: string;
}

/**
 * A `chat.completion` object (https://platform.openai.com/docs/api-reference/chat/object).
 * Reasoning has no field in Chat Completions and is not rendered.
 */
export function renderOpenAIChatCompletion(
  response: ChatResponse,
  options: OpenAIRenderOptions = {},
): JsonObject {
  const out: JsonObject = {
    id: response.id,
    object: 'chat.completion',
    created: response.created,
    model: options.model ?? response.model,
    choices: response.choices.map(renderChoice),
    usage: renderOpenAIUsage(response.usage),
  };
  if (response.systemFingerprint !== undefined) out['system_fingerprint'] = response.systemFingerprint;
  return out;
}

function renderChoice(choice: Choice): JsonObject {
  let text = '';
  let hasText = false;
  let refusal: string | null = null;
  const toolCalls: JsonObject[] = [];
  for (const part of choice.content) {
    if (part.kind === 'text') {
      text += part.text;
      hasText = true;
    } else if (part.kind === 'refusal') {
      refusal = (refusal ?? '') + part.text;
    } else if (part.kind === 'tool_call') {
      toolCalls.push({
        id: part.id,
        type: 'function',
        function: { name: part.name, arguments: part.arguments },
      });
    }
  }
  const message: JsonObject = { role: 'assistant', content: hasText ? text : null, refusal };
  if (toolCalls.length > 0) message['tool_calls'] = toolCalls;
  return {
    index: choice.index,
    message,
    logprobs: choice.logprobs ?? null,
    finish_reason: openAIFinishReason(choice.finish.reason),
  };
}
