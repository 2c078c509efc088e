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
import { headerValue } from '../../shared/header-value.js';
import type { JsonObject } from '../../shared/json-value.js';
import { arrayAt, numberAt, objectAt, tryParseJson } from '../../shared/json-value.js';
import { requireTargetField } from '../../shared/require-target-field.js';
import { bodyText } from '../../shared/utf8.js';
import { estimateInputTokens } from '../openai/openai-embeddings.js';
import { trimSlash } from '../openai/openai-style-adapter.js';
import { buildConverseBody } from './converse-body.js';
import { parseBedrockError, parseConverseResponse } from './converse-response.js';
import { ConverseStreamDecoder } from './converse-stream-decoder.js';
import { signSigV4 } from './sign-sigv4.js';

function runtimeBase(target: TargetConfig): string {
  return trimSlash(
    target.endpoint ?? `https://bedrock-runtime.${requireTargetField(target, 'region')}.amazonaws.com`,
  );
}

/**
 * Signs with SigV4 (service `bedrock`) for AWS credentials, or sends a Bedrock API key as a
 * bearer token. The signature covers the exact body string returned alongside it.
 */
function signedRequest(
  target: TargetConfig,
  ctx: RequestContext,
  url: string,
  body: string,
  accept: string,
): HttpRequestSpec {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept, ...target.headers };
  const c = ctx.credentials;
  if (c.kind === 'aws') {
    const region = target.region ?? requireTargetField(target, 'region');
    Object.assign(
      headers,
      signSigV4(
        { method: 'POST', url, headers, body },
        { credentials: c, region, service: 'bedrock', now: ctx.now },
      ),
    );
  } else if (c.kind === 'bearer' || c.kind === 'api-key') {
    headers['authorization'] = `Bearer ${c.kind === 'bearer' ? c.token : c.apiKey}`;
  }
  return { method: 'POST', url, headers, body };
}

function textInputs(req: EmbeddingsRequest): string[] {
  return req.input.map((input, i) => {
    if (typeof input === 'string') return input;
    throw new HubpoError('UNSUPPORTED_FEATURE', 'bedrock embeddings take text, not token arrays', {
      issues: [{ path: `/input/${i}`, message: 'token arrays are not supported by this target' }],
    });
  });
}

const COHERE_INPUT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  query: 'search_query',
  document: 'search_document',
});

/** InvokeModel body: Cohere Embed (`cohere.*`, many texts) or Amazon Titan (one text per call). */
function embeddingsBody(req: EmbeddingsRequest, target: TargetConfig): JsonObject {
  const texts = textInputs(req);
  if (target.model.startsWith('cohere.')) {
    return {
      texts,
      input_type: COHERE_INPUT_TYPES[req.inputType ?? 'document'] ?? req.inputType,
      embedding_types: ['float'],
    };
  }
  if (texts.length !== 1) {
    throw new HubpoError('UNSUPPORTED_FEATURE', 'Titan embedding models take one input per request', {
      issues: [{ path: '/input', message: 'send exactly one input to this target' }],
    });
  }
  const body: JsonObject = { inputText: texts[0] };
  if (req.dimensions !== undefined) body['dimensions'] = req.dimensions;
  return body;
}

function parseEmbeddings(
  json: unknown,
  headers: HttpHeaders,
  request: EmbeddingsRequest | undefined,
): EmbeddingsResponse {
  const titan = arrayAt(json, 'embedding');
  // Cohere Embed answers `embeddings: [[...]]`, or `embeddings: { float: [[...]] }` with embedding_types.
  const cohere = arrayAt(json, 'embeddings') ?? arrayAt(objectAt(json, 'embeddings'), 'float');
  const vectors = titan !== undefined ? [titan] : (cohere ?? []);
  if (vectors.length === 0)
    throw new HubpoError('PROVIDER_ERROR', 'upstream returned no embeddings', {
      details: { provider: 'bedrock' },
    });
  const counted =
    numberAt(json, 'inputTextTokenCount') ??
    Number(headerValue(headers, 'x-amzn-bedrock-input-token-count') ?? NaN);
  const usage = Number.isFinite(counted)
    ? makeUsage({ inputTokens: counted })
    : makeUsage({ inputTokens: estimateInputTokens(request), estimated: true });
  return {
    model: request?.model ?? '',
    data: vectors.map((vector, index) => ({ index, vector: vector as readonly number[] })),
    usage,
  };
}

/**
 * Amazon Bedrock Converse / ConverseStream (`/model/{modelId}/converse[-stream]`), SigV4-signed
 * with `ctx.now`; embeddings through InvokeModel for Titan and Cohere Embed models.
 */
export const bedrockAdapter: ProviderAdapter = Object.freeze({
  id: 'bedrock',
  family: 'bedrock',
  capabilities: defineCapabilities({
    tools: true,
    toolChoiceRequired: true,
    toolChoiceSpecific: true,
    parallelToolCalls: false,
    images: true,
    imageUrls: false,
    documents: true,
    jsonMode: false,
    jsonSchema: false,
    multipleChoices: false,
    logprobs: false,
    seed: false,
    topK: true,
    penalties: false,
    thinking: true,
    promptCaching: true,
    streaming: true,
    streamingUsage: true,
    embeddings: true,
    maxStopSequences: 4,
  }),
  buildRequest(req: ChatRequest, target: TargetConfig, ctx: RequestContext): HttpRequestSpec {
    const operation = req.stream ? 'converse-stream' : 'converse';
    const url = `${runtimeBase(target)}/model/${encodeURIComponent(target.model)}/${operation}`;
    const accept = req.stream ? 'application/vnd.amazon.eventstream' : 'application/json';
    return signedRequest(target, ctx, url, JSON.stringify(buildConverseBody(req, target)), accept);
  },
  parseResponse(
    status: number,
    headers: HttpHeaders,
    body: ResponseBody,
    ctx?: ResponseContext,
  ): ChatResponse {
    if (status < 200 || status >= 300) throw parseBedrockError(status, headers, body);
    return parseConverseResponse(tryParseJson(bodyText(body)), headers, ctx);
  },
  createStreamDecoder(ctx?: ResponseContext): StreamDecoder {
    return new ConverseStreamDecoder(ctx);
  },
  parseError: parseBedrockError,
  buildEmbeddingsRequest(req: EmbeddingsRequest, target: TargetConfig, ctx: RequestContext): HttpRequestSpec {
    const url = `${runtimeBase(target)}/model/${encodeURIComponent(target.model)}/invoke`;
    return signedRequest(target, ctx, url, JSON.stringify(embeddingsBody(req, target)), 'application/json');
  },
  parseEmbeddingsResponse(
    status: number,
    headers: HttpHeaders,
    body: ResponseBody,
    ctx?: { readonly request?: EmbeddingsRequest },
  ): EmbeddingsResponse {
    if (status < 200 || status >= 300) throw parseBedrockError(status, headers, body);
    return parseEmbeddings(tryParseJson(bodyText(body)), headers, ctx?.request);
  },
});
