/**
 * A chat request as a mock provider server understood it, whatever its wire format. Each wire
 * module reads its provider's body into this shape; the answer and the token counts are computed
 * from it alone, so every provider answers the same question the same way.
 */
export interface MockChat {
  /** The model the request named (body `model`, the Azure deployment, the Gemini / Bedrock path). */
  readonly model: string;
  readonly stream: boolean;
  /** OpenAI dialect: `stream_options.include_usage` (other providers always report stream usage). */
  readonly includeUsage: boolean;
  /** System / developer / `systemInstruction` texts, in order. */
  readonly system: readonly string[];
  /** Every turn with the texts the provider would tokenize (text, tool calls, tool results). */
  readonly messages: readonly MockChatMessage[];
  /** Text of the last user turn ('' when there is none). */
  readonly lastUserText: string;
  readonly tools: readonly MockChatTool[];
  readonly toolChoice: MockToolChoice;
  /** The output token limit the request set, if any. */
  readonly maxTokens?: number;
}

export interface MockChatMessage {
  readonly role: string;
  /** Its plain text parts, joined (what the mock echoes). */
  readonly text: string;
  /** Everything in it the provider would tokenize: text, tool call names and arguments, tool results. */
  readonly texts: readonly string[];
}

export interface MockChatTool {
  readonly name: string;
  readonly description: string;
  /** The JSON schema of the tool's arguments as sent. */
  readonly schema: unknown;
}

export type MockToolChoice =
  | { readonly kind: 'auto' }
  | { readonly kind: 'none' }
  | { readonly kind: 'required' }
  | { readonly kind: 'tool'; readonly name: string };

/** What the mock decided to answer. */
export type MockAnswer =
  | { readonly kind: 'text'; readonly text: string; readonly finish: 'stop' | 'length' }
  | { readonly kind: 'tool_call'; readonly name: string; readonly arguments: string };

/**
 * Token counts of one call in Hubpo's usage convention (docs/adr/0003-ai-internal-form.md):
 * `inputTokens` includes cache reads and writes, `outputTokens` includes reasoning. These are the
 * numbers the server put on the wire (in its provider's own convention), converted back.
 */
export interface MockTokenCounts {
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly cacheWriteTokens: number;
  readonly reasoningTokens: number;
  readonly outputTokens: number;
}
