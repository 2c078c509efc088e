import { countTokens } from 'gpt-tokenizer';
import type { ChatRequest, ContentPart, ToolDefinition } from './internal/chat-request.js';
import type { OutputPart } from './internal/chat-response.js';
import type { Usage } from './internal/usage.js';

/**
 * Local token counts, for when a provider reports no usage (results are marked `estimated`) and
 * for Anthropic `count_tokens`. They use OpenAI's o200k_base encoding for every model: exact for
 * current OpenAI models, an approximation (typically within ~10-20%) for other providers'
 * tokenizers. Chat framing follows OpenAI's published accounting: 3 tokens per message, 1 per
 * name, 3 to prime the reply.
 */

// Special-token strings in user text are counted as plain text, never rejected.
const ENCODE_OPTIONS = Object.freeze({ disallowedSpecial: new Set<string>() });

const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;
/** OpenAI's flat cost of a low-detail image; used for every image since sizes are unknown here. */
const IMAGE_TOKENS = 85;
/** Rough cost of a document whose pages are unknown. */
const DOCUMENT_TOKENS = 1500;

export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text, ENCODE_OPTIONS);
}

/** Prompt tokens of a request: system, messages, tool definitions and response schema. */
export function estimateRequestTokens(req: ChatRequest): number {
  let total = REPLY_PRIMING_TOKENS;
  if (req.system.length > 0) {
    total += TOKENS_PER_MESSAGE;
    for (const part of req.system) total += estimateTokens(part.text);
  }
  for (const message of req.messages) {
    total += TOKENS_PER_MESSAGE;
    if (message.name !== undefined) total += TOKENS_PER_NAME + estimateTokens(message.name);
    for (const part of message.content) total += partTokens(part);
  }
  if (req.tools.length > 0) total += toolTokens(req.tools);
  if (req.responseFormat?.kind === 'json_schema')
    total += estimateTokens(JSON.stringify(req.responseFormat.schema));
  return total;
}

/** Output tokens of generated parts (text, reasoning, tool names and arguments). */
export function estimateOutputTokens(parts: readonly OutputPart[]): number {
  let total = 0;
  for (const part of parts) {
    switch (part.kind) {
      case 'text':
      case 'refusal':
      case 'thinking':
        total += estimateTokens(part.text);
        break;
      case 'tool_call':
        total += estimateTokens(part.name) + estimateTokens(part.arguments);
        break;
      case 'redacted_thinking':
        break;
    }
  }
  return total;
}

/** Usage computed locally for a request and the parts generated for it. */
export function estimateUsage(req: ChatRequest | undefined, output: readonly OutputPart[]): Usage {
  return {
    inputTokens: req === undefined ? 0 : estimateRequestTokens(req),
    cachedInputTokens: 0,
    cacheWriteInputTokens: 0,
    reasoningTokens: 0,
    outputTokens: estimateOutputTokens(output),
    estimated: true,
  };
}

function partTokens(part: ContentPart): number {
  switch (part.kind) {
    case 'text':
    case 'thinking':
      return estimateTokens(part.text);
    case 'image':
      return IMAGE_TOKENS;
    case 'document':
      return DOCUMENT_TOKENS;
    case 'tool_call':
      return estimateTokens(part.name) + estimateTokens(part.arguments);
    case 'tool_result': {
      let total = 0;
      for (const inner of part.content)
        total += inner.kind === 'text' ? estimateTokens(inner.text) : IMAGE_TOKENS;
      return total;
    }
    case 'redacted_thinking':
      return 0;
    case 'opaque':
      return estimateTokens(JSON.stringify(part.value));
  }
}

function toolTokens(tools: readonly ToolDefinition[]): number {
  let total = 0;
  for (const tool of tools) {
    total +=
      tool.kind === 'function'
        ? estimateTokens(tool.name) +
          estimateTokens(tool.description ?? '') +
          estimateTokens(JSON.stringify(tool.parameters))
        : estimateTokens(JSON.stringify(tool.value));
  }
  return total;
}
