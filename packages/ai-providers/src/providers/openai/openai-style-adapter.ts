import type { HubpoError } from '@hubpo/core';
import type { Capabilities } from '../../capabilities.js';
import type { ChatRequest } from '../../internal/chat-request.js';
import type { ChatResponse } from '../../internal/chat-response.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../internal/embeddings.js';
import type { StreamDecoder } from '../../internal/stream-event.js';
import type {
  HttpHeaders,
  HttpRequestSpec,
  ProviderAdapter,
  ProviderId,
  RequestContext,
  ResponseBody,
  ResponseContext,
  TargetConfig,
} from '../../provider-adapter.js';
import { tryParseJson } from '../../shared/json-value.js';
import { bodyText } from '../../shared/utf8.js';
import { buildOpenAIChatBody } from './openai-chat-body.js';
import type { OpenAIDialect } from './openai-chat-body.js';
import { parseOpenAIChatResponse } from './openai-chat-response.js';
import { buildOpenAIEmbeddingsBody, parseOpenAIEmbeddingsResponse } from './openai-embeddings.js';
import { parseOpenAIError } from './openai-error.js';
import { OpenAIStreamDecoder } from './openai-stream-decoder.js';

/** What distinguishes one OpenAI-dialect provider from another. */
export interface OpenAIStyleSpec {
  readonly id: ProviderId;
  readonly capabilities: Capabilities;
  readonly dialect: OpenAIDialect;
  readonly chatUrl: (target: TargetConfig) => string;
  /** Absent when the provider has no embeddings endpoint. */
  readonly embeddingsUrl?: (target: TargetConfig) => string;
  /** `dimensions` (OpenAI) or `output_dimension` (Mistral). */
  readonly embeddingsDimensionsField?: string;
  readonly authHeaders: (target: TargetConfig, ctx: RequestContext) => Record<string, string>;
}

/** Builds the adapter of an OpenAI-dialect provider. */
export function createOpenAIStyleAdapter(spec: OpenAIStyleSpec): ProviderAdapter {
  const { id, dialect } = spec;
  const headersFor = (
    target: TargetConfig,
    ctx: RequestContext,
    stream: boolean,
  ): Record<string, string> => ({
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    ...spec.authHeaders(target, ctx),
    ...target.headers,
  });
  const parseError = (status: number, headers: HttpHeaders, body: ResponseBody): HubpoError =>
    parseOpenAIError(id, status, headers, body);
  const adapter: ProviderAdapter = {
    id,
    family: dialect.family,
    capabilities: spec.capabilities,
    buildRequest(req: ChatRequest, target: TargetConfig, ctx: RequestContext): HttpRequestSpec {
      return {
        method: 'POST',
        url: spec.chatUrl(target),
        headers: headersFor(target, ctx, req.stream),
        body: JSON.stringify(buildOpenAIChatBody(req, target, dialect)),
      };
    },
    parseResponse(
      status: number,
      headers: HttpHeaders,
      body: ResponseBody,
      ctx?: ResponseContext,
    ): ChatResponse {
      if (status < 200 || status >= 300) throw parseError(status, headers, body);
      return parseOpenAIChatResponse(tryParseJson(bodyText(body)), id, ctx);
    },
    createStreamDecoder(ctx?: ResponseContext): StreamDecoder {
      return new OpenAIStreamDecoder(id, ctx);
    },
    parseError,
  };
  const embeddingsUrl = spec.embeddingsUrl;
  if (embeddingsUrl === undefined) return Object.freeze(adapter);
  const family = dialect.family === 'mistral' ? 'mistral' : 'openai';
  return Object.freeze({
    ...adapter,
    buildEmbeddingsRequest(
      req: EmbeddingsRequest,
      target: TargetConfig,
      ctx: RequestContext,
    ): HttpRequestSpec {
      const body = buildOpenAIEmbeddingsBody(req, target, {
        sendModel: dialect.sendModel,
        dimensionsField: spec.embeddingsDimensionsField ?? 'dimensions',
        family,
      });
      return {
        method: 'POST',
        url: embeddingsUrl(target),
        headers: headersFor(target, ctx, false),
        body: JSON.stringify(body),
      };
    },
    parseEmbeddingsResponse(
      status: number,
      headers: HttpHeaders,
      body: ResponseBody,
      ctx?: { readonly request?: EmbeddingsRequest },
    ): EmbeddingsResponse {
      if (status < 200 || status >= 300) throw parseError(status, headers, body);
      return parseOpenAIEmbeddingsResponse(tryParseJson(bodyText(body)), id, ctx?.request);
    },
  });
}

/** `Authorization: Bearer` from api-key or bearer credentials. */
export function bearerAuth(ctx: RequestContext): Record<string, string> {
  const c = ctx.credentials;
  if (c.kind === 'api-key') return { authorization: `Bearer ${c.apiKey}` };
  if (c.kind === 'bearer') return { authorization: `Bearer ${c.token}` };
  return {};
}

/** Base URL without a trailing slash. */
export function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
