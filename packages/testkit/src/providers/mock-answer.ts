import { countTokens, decode, encode } from 'gpt-tokenizer';
import type { MockAnswer, MockChat, MockChatTool, MockTokenCounts } from './mock-chat.js';

/*
 * How a mock provider answers and counts. Token counts use gpt-tokenizer's o200k_base encoding
 * (exact for current OpenAI models, a stand-in for every other provider's tokenizer) with a simple,
 * fixed framing that is the mock's own, not the gateway's estimator:
 *
 *   input  = 3 (reply priming)
 *          + for the system block (when present) and every message: 3 + tokens of each text
 *          + for every tool: tokens(name) + tokens(description) + tokens(JSON of its schema)
 *   output = tokens of the reply text, or tokens(tool name) + tokens(arguments JSON)
 *            + the configured reasoning tokens (reasoning counts as output, ADR 0003).
 *
 * Configured cache reads / writes are carved out of `input` (clamped so they never exceed it).
 */

/** Special-token strings in user text count as plain text, never throw. */
const ENCODE_OPTIONS = Object.freeze({ disallowedSpecial: new Set<string>() });
const PRIMING_TOKENS = 3;
const PER_MESSAGE_TOKENS = 3;

/** The default trigger: the last user text asks to call or use a tool. */
export const DEFAULT_TOOL_TRIGGER = /\b(?:call|use)\b.*\btools?\b/i;
/** Said when the last user turn has no text and no reply is configured. */
export const MOCK_PROVIDER_DEFAULT_REPLY = 'Hello from the Hubpo mock provider.';

export interface MockAnswerOptions {
  /** A fixed reply, or one computed from the request; by default the last user text is echoed. */
  readonly reply?: string | ((chat: MockChat) => string);
  /** When the request offers tools and the last user text matches, the first tool is called. */
  readonly toolTrigger?: RegExp;
  /** Arguments of a tool call; by default `{ "input": <last user text> }`. */
  readonly toolArguments?: (tool: MockChatTool, chat: MockChat) => unknown;
  /** Prompt tokens reported as read from the provider's cache (where the provider reports it). */
  readonly cachedInputTokens?: number;
  /** Prompt tokens reported as written to the cache (Anthropic, Bedrock). */
  readonly cacheWriteTokens?: number;
  /** Hidden reasoning tokens added to the output (OpenAI dialect `reasoning_tokens`, Gemini thoughts). */
  readonly reasoningTokens?: number;
}

/** Which usage breakdowns a provider's wire format can carry. */
export interface MockUsageSupport {
  readonly cacheRead: boolean;
  readonly cacheWrite: boolean;
  readonly reasoning: boolean;
}

export interface MockResult {
  readonly answer: MockAnswer;
  readonly usage: MockTokenCounts;
}

export function tokenCount(text: string): number {
  return text.length === 0 ? 0 : countTokens(text, ENCODE_OPTIONS);
}

/** Prompt tokens of a request under the mock's framing (see the top of this file). */
export function promptTokens(chat: MockChat): number {
  let total = PRIMING_TOKENS;
  if (chat.system.length > 0) {
    total += PER_MESSAGE_TOKENS;
    for (const text of chat.system) total += tokenCount(text);
  }
  for (const message of chat.messages) {
    total += PER_MESSAGE_TOKENS;
    for (const text of message.texts) total += tokenCount(text);
  }
  for (const tool of chat.tools) {
    total += tokenCount(tool.name) + tokenCount(tool.description) + tokenCount(JSON.stringify(tool.schema));
  }
  return total;
}

/** The deterministic answer to `chat` and the usage the provider will report for it. */
export function answerChat(
  chat: MockChat,
  options: MockAnswerOptions,
  support: MockUsageSupport,
): MockResult {
  const answer = decide(chat, options);
  const input = promptTokens(chat);
  const cached = support.cacheRead ? clamp(options.cachedInputTokens, input) : 0;
  const written = support.cacheWrite ? clamp(options.cacheWriteTokens, input - cached) : 0;
  const reasoning = support.reasoning ? clamp(options.reasoningTokens, Number.MAX_SAFE_INTEGER) : 0;
  const visible =
    answer.kind === 'text' ? tokenCount(answer.text) : tokenCount(answer.name) + tokenCount(answer.arguments);
  return {
    answer,
    usage: {
      inputTokens: input,
      cachedInputTokens: cached,
      cacheWriteTokens: written,
      reasoningTokens: reasoning,
      outputTokens: visible + reasoning,
    },
  };
}

function decide(chat: MockChat, options: MockAnswerOptions): MockAnswer {
  const tool = toolToCall(chat, options.toolTrigger ?? DEFAULT_TOOL_TRIGGER);
  if (tool !== undefined) {
    const args = options.toolArguments?.(tool, chat) ?? { input: chat.lastUserText };
    return { kind: 'tool_call', name: tool.name, arguments: JSON.stringify(args) };
  }
  const configured = typeof options.reply === 'function' ? options.reply(chat) : options.reply;
  const reply = configured ?? (chat.lastUserText === '' ? MOCK_PROVIDER_DEFAULT_REPLY : chat.lastUserText);
  return truncate(reply, chat.maxTokens);
}

/** A forced tool choice always calls; `auto` calls when the trigger matches; `none` never does. */
function toolToCall(chat: MockChat, trigger: RegExp): MockChatTool | undefined {
  const first = chat.tools[0];
  if (first === undefined) return undefined;
  switch (chat.toolChoice.kind) {
    case 'none':
      return undefined;
    case 'required':
      return first;
    case 'tool': {
      const name = chat.toolChoice.name;
      return chat.tools.find((t) => t.name === name) ?? first;
    }
    case 'auto':
      trigger.lastIndex = 0; // a /g or /y trigger would otherwise remember the previous match
      return trigger.test(chat.lastUserText) ? first : undefined;
  }
}

/** The reply cut to `max` tokens, as a real model stops at its output limit. */
function truncate(text: string, max: number | undefined): MockAnswer {
  if (max === undefined) return { kind: 'text', text, finish: 'stop' };
  const tokens = encode(text, ENCODE_OPTIONS);
  return tokens.length <= max
    ? { kind: 'text', text, finish: 'stop' }
    : { kind: 'text', text: decode(tokens.slice(0, Math.max(0, max))), finish: 'length' };
}

function clamp(value: number | undefined, max: number): number {
  if (value === undefined || !Number.isFinite(value) || value <= 0) return 0;
  return Math.min(Math.floor(value), Math.max(0, max));
}

/** Text split the way models stream it: one word with its trailing space per piece. */
export function streamPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
