import type { RedactedThinkingPart, TextPart, ThinkingPart, ToolCallPart } from './chat-request.js';
import type { Usage } from './usage.js';

/** Normalized reason a choice stopped. The provider's own value is kept in `Finish.raw`. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error' | 'other';

export interface Finish {
  readonly reason: FinishReason;
  /** The provider's value as sent (`end_turn`, `STOP`, `COMPLETE`...), null when none was sent. */
  readonly raw: string | null;
  /** The stop sequence that ended generation, when the provider says which. */
  readonly stopSequence?: string;
}

/** A refusal message (OpenAI `message.refusal`). */
export interface RefusalPart {
  readonly kind: 'refusal';
  readonly text: string;
}

export type OutputPart = TextPart | ToolCallPart | ThinkingPart | RedactedThinkingPart | RefusalPart;

export interface Choice {
  readonly index: number;
  /** In generation order: reasoning, text and tool calls as the provider produced them. */
  readonly content: readonly OutputPart[];
  readonly finish: Finish;
  /** Provider logprobs payload, passed through untranslated (OpenAI shape for OpenAI-family targets). */
  readonly logprobs?: unknown;
}

export interface ChatResponse {
  readonly id: string;
  /** The model that answered, as the provider names it. */
  readonly model: string;
  /** Unix seconds: the provider's value, or the context clock when it sends none. */
  readonly created: number;
  readonly choices: readonly Choice[];
  readonly usage: Usage;
  readonly systemFingerprint?: string;
}

/** All text of a choice's text parts, concatenated. */
export function choiceText(choice: Choice): string {
  let out = '';
  for (const part of choice.content) if (part.kind === 'text') out += part.text;
  return out;
}
