// Internal form (ADR 0003)
export type {
  BuiltinTool,
  CacheControl,
  ChatRequest,
  ContentPart,
  DocumentPart,
  Extensions,
  FunctionTool,
  ImagePart,
  MediaSource,
  Message,
  OpaquePart,
  ReasoningEffort,
  RedactedThinkingPart,
  ResponseFormat,
  Role,
  StreamOptions,
  TextPart,
  ThinkingConfig,
  ThinkingPart,
  ToolCallPart,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
  WireFamily,
} from './internal/chat-request.js';
export type {
  ChatResponse,
  Choice,
  Finish,
  FinishReason,
  OutputPart,
  RefusalPart,
} from './internal/chat-response.js';
export { choiceText } from './internal/chat-response.js';
export type { BlockStart, StreamDecoder, StreamEvent } from './internal/stream-event.js';
export type { Usage } from './internal/usage.js';
export { ZERO_USAGE, makeUsage, totalTokens, uncachedInputTokens } from './internal/usage.js';
export type {
  Embedding,
  EmbeddingInput,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from './internal/embeddings.js';

// Adapters
export type {
  Credentials,
  HttpHeaders,
  HttpRequestSpec,
  MockProviderAdapter,
  ProviderAdapter,
  ProviderId,
  RequestContext,
  ResponseBody,
  ResponseContext,
  TargetConfig,
} from './provider-adapter.js';
export { adapters, PROVIDER_IDS, isProviderId } from './adapters.js';
export type { Capabilities, Feature } from './capabilities.js';
export { mergeCapabilities } from './capabilities.js';
export { checkCapabilities } from './check-capabilities.js';
export type { CapabilityCheck, CapabilityPolicy, CapabilityWarning } from './check-capabilities.js';
export { StreamAccumulator } from './accumulate-stream.js';
export { mockWireResponse, MOCK_DEFAULT_REPLY } from './providers/mock/mock-adapter.js';
export { signSigV4 } from './providers/bedrock/sign-sigv4.js';
export type { SigV4Credentials, SigV4Options, SigV4Request } from './providers/bedrock/sign-sigv4.js';
export { EventStreamDecoder, encodeEventStreamMessage } from './providers/bedrock/event-stream-codec.js';
export type { EventStreamHeaderValue, EventStreamMessage } from './providers/bedrock/event-stream-codec.js';

// Usage and cost
export { computeCost } from './compute-cost.js';
export type { Cost, Pricing } from './compute-cost.js';
export {
  estimateTokens,
  estimateRequestTokens,
  estimateOutputTokens,
  estimateUsage,
} from './estimate-tokens.js';

// OpenAI ingress
export { parseOpenAIChatRequest } from './ingress/openai/parse-openai-chat-request.js';
export {
  parseOpenAIEmbeddingsRequest,
  renderOpenAIEmbeddings,
} from './ingress/openai/openai-embeddings-codec.js';
export { renderOpenAIChatCompletion, renderOpenAIUsage } from './ingress/openai/render-openai-response.js';
export type { OpenAIRenderOptions } from './ingress/openai/render-openai-response.js';
export { OpenAIStreamRenderer } from './ingress/openai/openai-stream-renderer.js';
export type { OpenAIStreamRenderOptions } from './ingress/openai/openai-stream-renderer.js';
export { OpenAIUsageChunkFilter } from './ingress/openai/openai-usage-chunk-filter.js';
export { OpenAIStreamPassthrough } from './ingress/openai/openai-stream-passthrough.js';
export { passThroughOpenAIChatCompletion } from './ingress/openai/openai-completion-passthrough.js';
export type { OpenAICompletionPassthrough } from './ingress/openai/openai-completion-passthrough.js';
export type {
  OpenAIStreamPassthroughOptions,
  PassthroughOutput,
} from './ingress/openai/openai-stream-passthrough.js';
export { renderOpenAIError } from './ingress/openai/render-openai-error.js';
export { renderOpenAIModels } from './ingress/openai/render-openai-models.js';

// Anthropic ingress
export { parseAnthropicRequest } from './ingress/anthropic/parse-anthropic-request.js';
export type { AnthropicParseOptions } from './ingress/anthropic/parse-anthropic-request.js';
export {
  renderAnthropicMessage,
  renderAnthropicUsage,
} from './ingress/anthropic/render-anthropic-response.js';
export { AnthropicStreamRenderer } from './ingress/anthropic/anthropic-stream-renderer.js';
export { renderAnthropicError } from './ingress/anthropic/render-anthropic-error.js';
export {
  renderAnthropicModels,
  renderAnthropicCountTokens,
} from './ingress/anthropic/render-anthropic-models.js';

export type { ModelInfo } from './ingress/model-info.js';
export type { RenderedError } from './ingress/rendered-error.js';
