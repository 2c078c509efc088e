import { answerChat, promptTokens, streamPieces, tokenCount } from './mock-answer.js';
import type { MockAnswer, MockChat, MockChatMessage, MockChatTool, MockToolChoice } from './mock-chat.js';
import type { MockTokenCounts } from './mock-chat.js';
import type {
  JsonRecord,
  MockExchange,
  MockReply,
  MockWire,
  MockWireContext,
  MockWireRequest,
} from './mock-wire.js';
import {
  MockHttpError,
  SSE_HEADERS,
  asArray,
  asCount,
  asRecord,
  asString,
  bearerIs,
  jsonReply,
  lastUserText,
  mockEmbedding,
  mockId,
  requireBody,
  sseEvent,
} from './mock-wire.js';

/*
 * Gemini API `generateContent` / `streamGenerateContent` (https://ai.google.dev/api/generate-content),
 * on AI Studio paths (`/v1beta/models/{model}:method`) and Vertex AI publisher paths
 * (`/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:method`). Streams are SSE with
 * `?alt=sse` (CRLF line ends, as Google sends them) and a JSON array otherwise. `promptTokenCount`
 * includes `cachedContentTokenCount`; `candidatesTokenCount` excludes `thoughtsTokenCount`.
 */

const PATH =
  /^\/(?:v1|v1beta|v1beta1)\/(?:projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/)?models\/([^/:]+):([A-Za-z]+)$/;
const SUPPORT = Object.freeze({ cacheRead: true, cacheWrite: false, reasoning: true });

export function geminiWire(): MockWire {
  return {
    handle,
    error: errorReply,
    authorized: (req, key) =>
      req.headers['x-goog-api-key'] === key || req.query.get('key') === key || bearerIs(req, key),
    unauthorized,
  };
}

function handle(req: MockWireRequest, ctx: MockWireContext): MockExchange {
  if (req.method === 'GET' && /^\/(?:v1|v1beta)\/models$/.test(req.path)) {
    return {
      reply: jsonReply(200, { models: ctx.models.map((m) => ({ name: `models/${m}`, displayName: m })) }),
    };
  }
  const match = PATH.exec(req.path);
  if (match === null)
    throw new MockHttpError(404, `The requested URL ${req.path} was not found on this server.`);
  if (req.method !== 'POST') throw new MockHttpError(405, `${req.method} is not allowed on ${req.path}`);
  const model = decodeURIComponent(match[1] ?? '');
  const method = match[2];
  const body = requireBody(req);
  switch (method) {
    case 'generateContent':
    case 'streamGenerateContent':
      return generate(readChat(body, model, method === 'streamGenerateContent'), req, ctx);
    case 'countTokens':
      return { reply: jsonReply(200, { totalTokens: promptTokens(readChat(body, model, false)) }) };
    case 'embedContent':
    case 'batchEmbedContents':
      return embed(body, model, method === 'batchEmbedContents', ctx);
    default:
      throw new MockHttpError(404, `Method ${method ?? ''} not found.`);
  }
}

function readChat(body: JsonRecord, model: string, stream: boolean): MockChat {
  const contents = body['contents'];
  if (!Array.isArray(contents) || contents.length === 0) {
    throw new MockHttpError(400, '* GenerateContentRequest.contents: contents is not specified');
  }
  const messages = contents.map(readContent);
  const system = readContent(body['systemInstruction'] ?? { parts: [] });
  const maxTokens = asCount(asRecord(body['generationConfig'])?.['maxOutputTokens']);
  return {
    model,
    stream,
    includeUsage: true,
    system: system.texts,
    messages,
    lastUserText: lastUserText(messages),
    tools: asArray(body['tools']).flatMap(readTools),
    toolChoice: readToolChoice(asRecord(asRecord(body['toolConfig'])?.['functionCallingConfig'])),
    ...(maxTokens === undefined ? {} : { maxTokens }),
  };
}

function readContent(value: unknown): MockChatMessage {
  const content = asRecord(value);
  const role = asString(content?.['role']) === 'model' ? 'assistant' : 'user';
  let text = '';
  const texts: string[] = [];
  for (const part of asArray(content?.['parts'])) {
    const record = asRecord(part);
    const partText = asString(record?.['text']);
    if (partText !== undefined) {
      text += partText;
      texts.push(partText);
    }
    const call = asRecord(record?.['functionCall']);
    if (call !== undefined) texts.push(asString(call['name']) ?? '', JSON.stringify(call['args'] ?? {}));
    const result = asRecord(record?.['functionResponse']);
    if (result !== undefined) texts.push(JSON.stringify(result['response'] ?? {}));
  }
  return { role, text, texts };
}

function readTools(value: unknown): MockChatTool[] {
  return asArray(asRecord(value)?.['functionDeclarations']).flatMap((d) => {
    const decl = asRecord(d);
    const name = asString(decl?.['name']);
    if (decl === undefined || name === undefined) return [];
    const schema = decl['parametersJsonSchema'] ?? decl['parameters'] ?? {};
    return [{ name, description: asString(decl['description']) ?? '', schema }];
  });
}

function readToolChoice(config: JsonRecord | undefined): MockToolChoice {
  const mode = asString(config?.['mode']);
  if (mode === 'NONE') return { kind: 'none' };
  if (mode !== 'ANY') return { kind: 'auto' };
  const allowed = asArray(config?.['allowedFunctionNames']);
  const only = allowed.length === 1 ? asString(allowed[0]) : undefined;
  return only === undefined ? { kind: 'required' } : { kind: 'tool', name: only };
}

function usageMetadata(usage: MockTokenCounts, final: boolean): Record<string, unknown> {
  const candidates = usage.outputTokens - usage.reasoningTokens;
  return {
    promptTokenCount: usage.inputTokens,
    ...(final ? { candidatesTokenCount: candidates } : {}),
    totalTokenCount: usage.inputTokens + (final ? usage.outputTokens : usage.reasoningTokens),
    ...(usage.cachedInputTokens > 0 ? { cachedContentTokenCount: usage.cachedInputTokens } : {}),
    ...(final ? { promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.inputTokens }] } : {}),
    ...(usage.reasoningTokens > 0 ? { thoughtsTokenCount: usage.reasoningTokens } : {}),
  };
}

function generate(chat: MockChat, req: MockWireRequest, ctx: MockWireContext): MockExchange {
  const { answer, usage } = answerChat(chat, ctx.answer, SUPPORT);
  const responseId = mockId(`gemini-${ctx.sequence}`, 23);
  const chunk = (parts: unknown[], final: boolean): Record<string, unknown> => ({
    candidates: [
      {
        content: { parts, role: 'model' },
        ...(final
          ? { finishReason: answer.kind === 'text' && answer.finish === 'length' ? 'MAX_TOKENS' : 'STOP' }
          : {}),
        index: 0,
      },
    ],
    usageMetadata: usageMetadata(usage, final),
    modelVersion: chat.model,
    responseId,
  });
  const usageOut = { model: chat.model, stream: chat.stream, counts: usage };
  if (!chat.stream) return { reply: jsonReply(200, chunk(answerParts(answer), true)), usage: usageOut };
  const pieces = answer.kind === 'text' ? streamPieces(answer.text) : [];
  const bodies =
    answer.kind === 'tool_call' || pieces.length === 0
      ? [chunk(answerParts(answer), true)]
      : pieces.map((text, i) => chunk([{ text }], i === pieces.length - 1));
  return { reply: streamOf(bodies, req.query.get('alt') === 'sse'), usage: usageOut };
}

function answerParts(answer: MockAnswer): unknown[] {
  return answer.kind === 'text'
    ? [{ text: answer.text }]
    : [{ functionCall: { name: answer.name, args: JSON.parse(answer.arguments) as unknown } }];
}

/** SSE events with CRLF line ends, or the pieces of one JSON array written element by element. */
function streamOf(bodies: readonly unknown[], sse: boolean): MockReply {
  if (sse) {
    return {
      kind: 'stream',
      status: 200,
      headers: SSE_HEADERS,
      chunks: bodies.map((b) => sseEvent(b, undefined, '\r\n')),
    };
  }
  const chunks = bodies.map((b, i) => `${i === 0 ? '[' : ',\r\n'}${JSON.stringify(b)}`);
  chunks.push(']');
  return {
    kind: 'stream',
    status: 200,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    chunks,
  };
}

/** Embeddings report no usage on the Gemini API; `usage` holds the server's own count. */
function embed(body: JsonRecord, model: string, batch: boolean, ctx: MockWireContext): MockExchange {
  const requests = batch ? asArray(body['requests']) : [body];
  if (requests.length === 0)
    throw new MockHttpError(400, '* BatchEmbedContentsRequest.requests: requests is empty');
  let tokens = 0;
  const embeddings = requests.map((r) => {
    const request = asRecord(r);
    const text = readContent(request?.['content']).texts.join('');
    tokens += tokenCount(text);
    const dimensions = asCount(request?.['outputDimensionality']) ?? ctx.embeddingDimensions;
    return { values: mockEmbedding(text, dimensions) };
  });
  const counts = {
    inputTokens: tokens,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    outputTokens: 0,
  };
  const response = batch ? { embeddings } : { embedding: embeddings[0] };
  return { reply: jsonReply(200, response), usage: { model, stream: false, counts, reported: false } };
}

const STATUS_NAMES: Readonly<Record<number, string>> = Object.freeze({
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
});

/** AI Studio answers a bad key with 400 INVALID_ARGUMENT and ErrorInfo reason API_KEY_INVALID. */
function unauthorized(): MockReply & { kind: 'body' } {
  const message = 'API key not valid. Please pass a valid API key.';
  const details = [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
      metadata: { service: 'generativelanguage.googleapis.com' },
    },
  ];
  return jsonReply(400, { error: { code: 400, message, status: 'INVALID_ARGUMENT', details } });
}

function errorReply(status: number, message: string): MockReply & { kind: 'body' } {
  const name = STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
  return jsonReply(status, { error: { code: status, message, status: name } });
}
