import { HubpoError } from '@hubpo/core';
import { defineCapabilities } from '../../capabilities.js';
import type { ChatRequest } from '../../internal/chat-request.js';
import type { ChatResponse } from '../../internal/chat-response.js';
import type { Embedding, EmbeddingsRequest, EmbeddingsResponse } from '../../internal/embeddings.js';
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
import { arrayAt, numberAt, objectAt, tryParseJson } from '../../shared/json-value.js';
import { bodyText } from '../../shared/utf8.js';
import { estimateInputTokens } from '../openai/openai-embeddings.js';
import { trimSlash } from '../openai/openai-style-adapter.js';
import { buildGeminiBody } from './gemini-body.js';
import { parseGeminiError, parseGeminiResponse } from './gemini-response.js';
import { GeminiStreamDecoder } from './gemini-stream-decoder.js';

const AI_STUDIO_BASE_URL = 'https://generativelanguage.googleapis.com';
const VERTEX_DEFAULT_LOCATION = 'us-central1';
const MODELS_PREFIX = 'models/';

/**
 * The method URL of a target: Vertex AI when the target names a `project`, else the Gemini API
 * (AI Studio). `endpoint` overrides the host (e.g. a private Vertex endpoint or a proxy).
 */
export function geminiUrl(target: TargetConfig, method: string): string {
  const model = target.model.startsWith(MODELS_PREFIX)
    ? target.model.slice(MODELS_PREFIX.length)
    : target.model;
  if (target.project !== undefined) {
    const location = target.region ?? VERTEX_DEFAULT_LOCATION;
    const host =
      target.endpoint ??
      (location === 'global'
        ? 'https://aiplatform.googleapis.com'
        : `https://${location}-aiplatform.googleapis.com`);
    return `${trimSlash(host)}/v1/projects/${encodeURIComponent(target.project)}/locations/${encodeURIComponent(location)}/publishers/google/models/${model}:${method}`;
  }
  return `${trimSlash(target.endpoint ?? AI_STUDIO_BASE_URL)}/v1beta/models/${model}:${method}`;
}

function geminiAuth(ctx: RequestContext): Record<string, string> {
  const c = ctx.credentials;
  if (c.kind === 'api-key') return { 'x-goog-api-key': c.apiKey };
  if (c.kind === 'bearer') return { authorization: `Bearer ${c.token}` };
  return {};
}

function post(
  url: string,
  target: TargetConfig,
  ctx: RequestContext,
  body: JsonObject,
  stream: boolean,
): HttpRequestSpec {
  return {
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      ...geminiAuth(ctx),
      ...target.headers,
    },
    body: JSON.stringify(body),
  };
}

const TASK_TYPES: Readonly<Record<string, string>> = Object.freeze({
  query: 'RETRIEVAL_QUERY',
  document: 'RETRIEVAL_DOCUMENT',
});

function textInputs(req: EmbeddingsRequest): string[] {
  return req.input.map((input, i) => {
    if (typeof input === 'string') return input;
    throw new HubpoError('UNSUPPORTED_FEATURE', 'gemini embeddings take text, not token arrays', {
      issues: [{ path: `/input/${i}`, message: 'token arrays are not supported by this target' }],
    });
  });
}

function buildEmbeddingsBody(req: EmbeddingsRequest, target: TargetConfig): JsonObject {
  const texts = textInputs(req);
  const taskType = req.inputType === undefined ? undefined : (TASK_TYPES[req.inputType] ?? req.inputType);
  if (target.project !== undefined) {
    const parameters: JsonObject = {};
    if (req.dimensions !== undefined) parameters['outputDimensionality'] = req.dimensions;
    return {
      instances: texts.map((content) =>
        taskType === undefined ? { content } : { content, task_type: taskType },
      ),
      parameters,
    };
  }
  const model = `models/${target.model.startsWith(MODELS_PREFIX) ? target.model.slice(MODELS_PREFIX.length) : target.model}`;
  return {
    requests: texts.map((text) => {
      const entry: JsonObject = { model, content: { parts: [{ text }] } };
      if (taskType !== undefined) entry['taskType'] = taskType;
      if (req.dimensions !== undefined) entry['outputDimensionality'] = req.dimensions;
      return entry;
    }),
  };
}

/** batchEmbedContents (`embeddings[].values`, no usage) or Vertex predict (`predictions[].embeddings`). */
function parseEmbeddings(json: unknown, request: EmbeddingsRequest | undefined): EmbeddingsResponse {
  const data: Embedding[] = [];
  let tokens = 0;
  let counted = false;
  const predictions = arrayAt(json, 'predictions');
  const rows = predictions ?? arrayAt(json, 'embeddings') ?? [];
  for (let i = 0; i < rows.length; i++) {
    const embedding = predictions === undefined ? rows[i] : objectAt(rows[i], 'embeddings');
    const values = arrayAt(embedding, 'values');
    if (values === undefined)
      throw new HubpoError('PROVIDER_ERROR', 'upstream embedding has no values', {
        details: { provider: 'gemini' },
      });
    data.push({ index: i, vector: values as readonly number[] });
    const count = numberAt(objectAt(embedding, 'statistics'), 'token_count');
    if (count !== undefined) {
      tokens += count;
      counted = true;
    }
  }
  const usage = counted
    ? makeUsage({ inputTokens: tokens })
    : makeUsage({ inputTokens: estimateInputTokens(request), estimated: true });
  return { model: request?.model ?? '', data, usage };
}

/**
 * Google Gemini through the Gemini API (AI Studio, `x-goog-api-key`) or Vertex AI (bearer token,
 * when `target.project` is set): `generateContent`, `streamGenerateContent?alt=sse`, and
 * embeddings (`batchEmbedContents` / Vertex `predict`).
 */
export const geminiAdapter: ProviderAdapter = Object.freeze({
  id: 'gemini',
  family: 'gemini',
  capabilities: defineCapabilities({
    tools: true,
    toolChoiceRequired: true,
    toolChoiceSpecific: true,
    parallelToolCalls: false,
    images: true,
    imageUrls: false,
    documents: true,
    jsonMode: true,
    jsonSchema: true,
    multipleChoices: true,
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
    const url = req.stream
      ? `${geminiUrl(target, 'streamGenerateContent')}?alt=sse`
      : geminiUrl(target, 'generateContent');
    return post(url, target, ctx, buildGeminiBody(req, target), req.stream);
  },
  parseResponse(
    status: number,
    headers: HttpHeaders,
    body: ResponseBody,
    ctx?: ResponseContext,
  ): ChatResponse {
    if (status < 200 || status >= 300) throw parseGeminiError(status, headers, body);
    return parseGeminiResponse(tryParseJson(bodyText(body)), ctx);
  },
  createStreamDecoder(ctx?: ResponseContext): StreamDecoder {
    return new GeminiStreamDecoder(ctx);
  },
  parseError: parseGeminiError,
  buildEmbeddingsRequest(req: EmbeddingsRequest, target: TargetConfig, ctx: RequestContext): HttpRequestSpec {
    const method = target.project === undefined ? 'batchEmbedContents' : 'predict';
    return post(geminiUrl(target, method), target, ctx, buildEmbeddingsBody(req, target), false);
  },
  parseEmbeddingsResponse(
    status: number,
    headers: HttpHeaders,
    body: ResponseBody,
    ctx?: { readonly request?: EmbeddingsRequest },
  ): EmbeddingsResponse {
    if (status < 200 || status >= 300) throw parseGeminiError(status, headers, body);
    return parseEmbeddings(tryParseJson(bodyText(body)), ctx?.request);
  },
});
