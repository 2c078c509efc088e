import { HubpoError } from '@hubpo/core';
import { defineCapabilities } from '../../capabilities.js';
import type { ChatRequest } from '../../internal/chat-request.js';
import type { ChatResponse } from '../../internal/chat-response.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../internal/embeddings.js';
import type { StreamDecoder } from '../../internal/stream-event.js';
import { makeUsage } from '../../internal/usage.js';
import type {
  HttpHeaders,
  HttpRequestSpec,
  ProviderAdapter,
  RequestContext,
  ResponseBody,
  ResponseContext,
  TargetConfig,
} from '../../provider-adapter.js';
import type { JsonObject } from '../../shared/json-value.js';
import { arrayAt, numberAt, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import { bodyText } from '../../shared/utf8.js';
import { estimateInputTokens } from '../openai/openai-embeddings.js';
import { bearerAuth, trimSlash } from '../openai/openai-style-adapter.js';
import { buildCohereBody, parseCohereError, parseCohereResponse } from './cohere-chat.js';
import { CohereStreamDecoder } from './cohere-stream-decoder.js';

const DEFAULT_BASE_URL = 'https://api.cohere.com';
const INPUT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  query: 'search_query',
  document: 'search_document',
});

function post(
  target: TargetConfig,
  ctx: RequestContext,
  path: string,
  body: JsonObject,
  stream: boolean,
): HttpRequestSpec {
  return {
    method: 'POST',
    url: `${trimSlash(target.endpoint ?? DEFAULT_BASE_URL)}${path}`,
    headers: {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      ...bearerAuth(ctx),
      ...target.headers,
    },
    body: JSON.stringify(body),
  };
}

/** v2 embed body; `input_type` (required by v3+ models) defaults to `search_document`. */
function embedBody(req: EmbeddingsRequest, target: TargetConfig): JsonObject {
  const texts = req.input.map((input, i) => {
    if (typeof input === 'string') return input;
    throw new HubpoError('UNSUPPORTED_FEATURE', 'cohere embeddings take text, not token arrays', {
      issues: [{ path: `/input/${i}`, message: 'token arrays are not supported by this target' }],
    });
  });
  const body: JsonObject = {
    ...(req.extensions.cohere ?? {}),
    model: target.model,
    texts,
    input_type: INPUT_TYPES[req.inputType ?? 'document'] ?? req.inputType,
    embedding_types: ['float'],
  };
  if (req.dimensions !== undefined) body['output_dimension'] = req.dimensions;
  return body;
}

function parseEmbed(json: unknown, request: EmbeddingsRequest | undefined): EmbeddingsResponse {
  const vectors = arrayAt(objectAt(json, 'embeddings'), 'float') ?? arrayAt(json, 'embeddings');
  if (vectors === undefined)
    throw new HubpoError('PROVIDER_ERROR', 'upstream returned no float embeddings', {
      details: { provider: 'cohere' },
    });
  const billed = numberAt(objectAt(objectAt(json, 'meta'), 'billed_units'), 'input_tokens');
  const usage =
    billed !== undefined
      ? makeUsage({ inputTokens: billed })
      : makeUsage({ inputTokens: estimateInputTokens(request), estimated: true });
  return {
    model: request?.model ?? stringAt(json, 'model') ?? '',
    data: vectors.map((vector, index) => ({ index, vector: vector as readonly number[] })),
    usage,
  };
}

/** Cohere Chat API v2 (`/v2/chat`) and Embed v2 (`/v2/embed`), bearer API key. */
export const cohereAdapter: ProviderAdapter = Object.freeze({
  id: 'cohere',
  family: 'cohere',
  capabilities: defineCapabilities({
    tools: true,
    toolChoiceRequired: true,
    toolChoiceSpecific: true,
    parallelToolCalls: false,
    images: true,
    imageUrls: true,
    documents: false,
    jsonMode: true,
    jsonSchema: true,
    multipleChoices: false,
    logprobs: false,
    seed: true,
    topK: true,
    penalties: true,
    thinking: true,
    promptCaching: false,
    streaming: true,
    streamingUsage: true,
    embeddings: true,
    maxStopSequences: 5,
  }),
  buildRequest(req: ChatRequest, target: TargetConfig, ctx: RequestContext): HttpRequestSpec {
    return post(target, ctx, '/v2/chat', buildCohereBody(req, target), req.stream);
  },
  parseResponse(
    status: number,
    headers: HttpHeaders,
    body: ResponseBody,
    ctx?: ResponseContext,
  ): ChatResponse {
    if (status < 200 || status >= 300) throw parseCohereError(status, headers, body);
    return parseCohereResponse(tryParseJson(bodyText(body)), ctx);
  },
  createStreamDecoder(ctx?: ResponseContext): StreamDecoder {
    return new CohereStreamDecoder(ctx);
  },
  parseError: parseCohereError,
  buildEmbeddingsRequest(req: EmbeddingsRequest, target: TargetConfig, ctx: RequestContext): HttpRequestSpec {
    return post(target, ctx, '/v2/embed', embedBody(req, target), false);
  },
  parseEmbeddingsResponse(
    status: number,
    headers: HttpHeaders,
    body: ResponseBody,
    ctx?: { readonly request?: EmbeddingsRequest },
  ): EmbeddingsResponse {
    if (status < 200 || status >= 300) throw parseCohereError(status, headers, body);
    return parseEmbed(tryParseJson(bodyText(body)), ctx?.request);
  },
});
