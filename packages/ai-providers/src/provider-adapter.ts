import type { HubpoError } from '@hubpo/core';
import type { Capabilities } from './capabilities.js';
import type { ChatRequest, WireFamily } from './internal/chat-request.js';
import type { ChatResponse } from './internal/chat-response.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from './internal/embeddings.js';
import type { StreamDecoder, StreamEvent } from './internal/stream-event.js';

export type ProviderId =
  | 'openai'
  | 'azure-openai'
  | 'anthropic'
  | 'gemini'
  | 'bedrock'
  | 'mistral'
  | 'cohere'
  | 'openai-compatible'
  | 'mock';

/** Credentials of one target, already decrypted by the gateway. Never logged, never rendered. */
export type Credentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'api-key'; readonly apiKey: string }
  | { readonly kind: 'bearer'; readonly token: string }
  | {
      readonly kind: 'aws';
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken?: string;
    };

/**
 * One upstream target, compiled from an AIModel target at snapshot load. Fields a provider does not
 * use are ignored; each provider's doc (docs/providers/<id>.md) lists the ones it reads.
 */
export interface TargetConfig {
  readonly provider: ProviderId;
  /** The provider's model id (Azure: the deployment name; Bedrock: model id or inference profile). */
  readonly model: string;
  /** Base URL override (required for azure-openai and openai-compatible). */
  readonly endpoint?: string;
  /** Azure `api-version` query value. */
  readonly apiVersion?: string;
  /** AWS region (Bedrock) or Google Cloud location (Vertex AI). */
  readonly region?: string;
  /** Google Cloud project: when set, Gemini targets use Vertex AI URLs instead of AI Studio. */
  readonly project?: string;
  /** openai-compatible: header carrying the credential (default `authorization`) and its scheme (default `Bearer`, '' for none). */
  readonly auth?: { readonly header?: string; readonly scheme?: string };
  /** Static headers added to every upstream request (e.g. `anthropic-beta`, `OpenAI-Organization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Fields merged last into the upstream JSON body (operator overrides win over everything). */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  /** Output-token limit sent when the request has none and the provider requires one (Anthropic). */
  readonly defaultMaxTokens?: number;
  /** Overrides of the adapter's default capabilities for this target. */
  readonly capabilities?: Partial<Capabilities>;
}

export interface RequestContext {
  readonly credentials: Credentials;
  /** The gateway's id for this request; used for deterministic ids where a provider sends none. */
  readonly requestId: string;
  /** The clock, epoch milliseconds (SigV4 signing time; `created` of synthesized responses). */
  readonly now: number;
}

/** Optional context for response parsing and stream decoding. */
export interface ResponseContext {
  readonly requestId?: string;
  /** Epoch milliseconds; used for `created` when the provider sends none. */
  readonly now?: number;
  /** The request that was sent: lets the adapter estimate usage when the provider reports none. */
  readonly request?: ChatRequest;
}

/** The HTTP request to send upstream. The gateway sends it as is. */
export interface HttpRequestSpec {
  readonly method: 'POST' | 'GET';
  readonly url: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

/** Response headers as Node gives them (lower-case names). */
export type HttpHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export type ResponseBody = string | Uint8Array;

/**
 * One provider behind one interface (CONVENTIONS.md §5). Every method is pure: no network, no
 * clock, no environment, no randomness; everything variable comes in through arguments.
 */
export interface ProviderAdapter {
  readonly id: ProviderId;
  /** The wire family whose `extensions`, builtin tools and opaque parts this adapter passes through. */
  readonly family: WireFamily;
  readonly capabilities: Capabilities;
  buildRequest(req: ChatRequest, target: TargetConfig, ctx: RequestContext): HttpRequestSpec;
  /** Parses a response body; a non-2xx status is turned into `parseError` and thrown. */
  parseResponse(
    status: number,
    headers: HttpHeaders,
    body: ResponseBody,
    ctx?: ResponseContext,
  ): ChatResponse;
  createStreamDecoder(ctx?: ResponseContext): StreamDecoder;
  /** Maps an upstream error response to a stable error kind, retryability and Retry-After. */
  parseError(status: number, headers: HttpHeaders, body: ResponseBody): HubpoError;
  buildEmbeddingsRequest?(req: EmbeddingsRequest, target: TargetConfig, ctx: RequestContext): HttpRequestSpec;
  parseEmbeddingsResponse?(
    status: number,
    headers: HttpHeaders,
    body: ResponseBody,
    ctx?: { readonly request?: EmbeddingsRequest },
  ): EmbeddingsResponse;
}

/** The built-in mock provider also answers by itself, with no upstream at all. */
export interface MockProviderAdapter extends ProviderAdapter {
  readonly id: 'mock';
  respond(req: ChatRequest, ctx: RequestContext): ChatResponse;
  respondStream(req: ChatRequest, ctx: RequestContext): StreamEvent[];
  respondEmbeddings(req: EmbeddingsRequest): EmbeddingsResponse;
}
