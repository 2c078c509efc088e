/**
 * The internal form of a chat request: what both ingresses (OpenAI Chat Completions, Anthropic
 * Messages) parse into and every adapter builds its upstream request from. It is designed to lose
 * nothing either ingress can say (ADR 0003): anything without a typed home lands in `extensions`
 * (unknown top-level fields) or in an `opaque` content part / `builtin` tool (unknown blocks),
 * tagged with the wire family it came from, so a same-family target can pass it through.
 *
 * All values are plain JSON-compatible data, readonly, discriminated by `kind`.
 */

/** A wire dialect. Ingresses and adapters are tagged with one; extensions pass through per family. */
export type WireFamily = 'openai' | 'anthropic' | 'gemini' | 'bedrock' | 'cohere' | 'mistral';

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

/** Prompt-cache breakpoint hint (Anthropic `cache_control`, Bedrock `cachePoint`). */
export interface CacheControl {
  readonly type: 'ephemeral';
  /** Anthropic cache TTL ("5m", "1h"); absent means the provider default. */
  readonly ttl?: string;
}

/** Where media bytes live: a URL the provider fetches itself, or inline base64 (no `data:` prefix). */
export type MediaSource =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'base64'; readonly mediaType: string; readonly data: string };

export interface TextPart {
  readonly kind: 'text';
  readonly text: string;
  readonly cacheControl?: CacheControl;
}

export interface ImagePart {
  readonly kind: 'image';
  readonly source: MediaSource;
  /** OpenAI image detail; other providers ignore it. */
  readonly detail?: 'auto' | 'low' | 'high';
  readonly cacheControl?: CacheControl;
}

/** A document (PDF or plain text) given to the model. */
export interface DocumentPart {
  readonly kind: 'document';
  readonly source: MediaSource;
  readonly title?: string;
  readonly cacheControl?: CacheControl;
}

/** A tool call made by the assistant. `arguments` is the raw JSON text, kept byte for byte. */
export interface ToolCallPart {
  readonly kind: 'tool_call';
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
  /** Opaque provider signature bound to the call (Gemini `thoughtSignature`). */
  readonly signature?: string;
  readonly cacheControl?: CacheControl;
}

/** The result of a tool call, sent back by the client. */
export interface ToolResultPart {
  readonly kind: 'tool_result';
  readonly toolCallId: string;
  readonly content: readonly (TextPart | ImagePart)[];
  readonly isError?: boolean;
  readonly cacheControl?: CacheControl;
}

/** Model reasoning. `signature` is the provider's integrity token (Anthropic), required to replay it. */
export interface ThinkingPart {
  readonly kind: 'thinking';
  readonly text: string;
  readonly signature?: string;
}

export interface RedactedThinkingPart {
  readonly kind: 'redacted_thinking';
  readonly data: string;
}

/** A content block the internal form does not model (e.g. Anthropic `server_tool_use`), kept verbatim. */
export interface OpaquePart {
  readonly kind: 'opaque';
  readonly family: WireFamily;
  readonly value: Readonly<Record<string, unknown>>;
}

export type ContentPart =
  | TextPart
  | ImagePart
  | DocumentPart
  | ToolCallPart
  | ToolResultPart
  | ThinkingPart
  | RedactedThinkingPart
  | OpaquePart;

export interface Message {
  readonly role: Role;
  readonly content: readonly ContentPart[];
  /** OpenAI participant name. */
  readonly name?: string;
}

export interface FunctionTool {
  readonly kind: 'function';
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** OpenAI strict schema adherence. */
  readonly strict?: boolean;
  readonly cacheControl?: CacheControl;
}

/** A provider-hosted tool (Anthropic `web_search_20250305`, Gemini `googleSearch`...), kept verbatim. */
export interface BuiltinTool {
  readonly kind: 'builtin';
  readonly family: WireFamily;
  readonly value: Readonly<Record<string, unknown>>;
}

export type ToolDefinition = FunctionTool | BuiltinTool;

export type ToolChoice =
  | { readonly kind: 'auto' }
  | { readonly kind: 'none' }
  /** The model must call some tool (OpenAI `required`, Anthropic `any`). */
  | { readonly kind: 'required' }
  | { readonly kind: 'tool'; readonly name: string };

export type ResponseFormat =
  | { readonly kind: 'text' }
  | { readonly kind: 'json_object' }
  | {
      readonly kind: 'json_schema';
      readonly name: string;
      readonly schema: Readonly<Record<string, unknown>>;
      readonly description?: string;
      readonly strict?: boolean;
    };

export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high';

/**
 * Extended thinking / reasoning. Anthropic, Gemini, Bedrock and Cohere take a token budget; OpenAI
 * takes an effort. Each side is derived from the other when only one is given (see
 * `thinking-budget.ts`).
 */
export type ThinkingConfig =
  | { readonly kind: 'enabled'; readonly budgetTokens?: number; readonly effort?: ReasoningEffort }
  | { readonly kind: 'disabled' };

/** Provider-specific top-level fields, per wire family, merged into that family's upstream body. */
export type Extensions = Readonly<Partial<Record<WireFamily, Readonly<Record<string, unknown>>>>>;

export interface StreamOptions {
  /** The client asked for usage in the stream (OpenAI `stream_options.include_usage`). */
  readonly includeUsage: boolean;
}

export interface ChatRequest {
  /** The model name the client sent; the target's model id replaces it upstream. */
  readonly model: string;
  /**
   * Top-level system prompt blocks (Anthropic `system`). OpenAI ingress keeps its system and
   * developer messages in place in `messages` instead; targets with a single system slot hoist
   * both, in order (`system` first).
   */
  readonly system: readonly TextPart[];
  readonly messages: readonly Message[];
  readonly tools: readonly ToolDefinition[];
  readonly toolChoice?: ToolChoice;
  /** false forbids parallel tool calls (OpenAI `parallel_tool_calls`, Anthropic `disable_parallel_tool_use`). */
  readonly parallelToolCalls?: boolean;
  readonly responseFormat?: ResponseFormat;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  /** Maximum output tokens (OpenAI `max_tokens`/`max_completion_tokens`, Anthropic `max_tokens`). */
  readonly maxTokens?: number;
  readonly stop?: readonly string[];
  readonly seed?: number;
  /** Number of choices to generate. */
  readonly n?: number;
  readonly logprobs?: boolean;
  readonly topLogprobs?: number;
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  /** End-user id (OpenAI `user`, Anthropic `metadata.user_id`). */
  readonly user?: string;
  /** OpenAI request metadata (string values). */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly thinking?: ThinkingConfig;
  readonly stream: boolean;
  readonly streamOptions: StreamOptions;
  readonly extensions: Extensions;
}
