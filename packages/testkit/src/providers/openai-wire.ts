import type { MockUsageSupport } from './mock-answer.js';
import { answerChat, streamPieces, tokenCount } from './mock-answer.js';
import type { MockAnswer, MockChat, MockTokenCounts } from './mock-chat.js';
import type { MockExchange, MockReply, MockWire, MockWireContext, MockWireRequest } from './mock-wire.js';
import {
  MockHttpError,
  SSE_HEADERS,
  asArray,
  asCount,
  asString,
  bearerIs,
  jsonReply,
  mockEmbedding,
  mockId,
  requireBody,
  splitCodePoints,
  sseEvent,
} from './mock-wire.js';
import { readOpenAIStyleChat } from './openai-chat-reader.js';

/** The OpenAI chat dialects served by one wire module. */
export type OpenAIDialectKind = 'openai' | 'azure-openai' | 'openai-compatible' | 'mistral';

/*
 * OpenAI Chat Completions (https://platform.openai.com/docs/api-reference/chat), and its
 * variants: Azure OpenAI deployment URLs with `api-version` and content-filter results
 * (https://learn.microsoft.com/azure/ai-services/openai/reference), OpenAI-compatible servers (the
 * vLLM flavour: usage details only when non-zero) and Mistral (usage always in the last stream
 * chunk, next to the finish reason; 9-character tool call ids; no cache or reasoning counts).
 */

const AZURE_PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;
const TOOL_ARGUMENT_PIECE = 8;

const SUPPORT: Readonly<Record<OpenAIDialectKind, MockUsageSupport>> = Object.freeze({
  openai: { cacheRead: true, cacheWrite: false, reasoning: true },
  'azure-openai': { cacheRead: true, cacheWrite: false, reasoning: true },
  'openai-compatible': { cacheRead: true, cacheWrite: false, reasoning: true },
  mistral: { cacheRead: false, cacheWrite: false, reasoning: false },
});

export function openAIWire(kind: OpenAIDialectKind): MockWire {
  return {
    handle: (req, ctx) => handle(kind, req, ctx),
    error: (status, message) => errorReply(kind, status, message),
    authorized: (req, key) =>
      bearerIs(req, key) || (kind === 'azure-openai' && req.headers['api-key'] === key),
    unauthorized: () =>
      kind === 'mistral'
        ? jsonReply(401, { message: 'Unauthorized', request_id: mockId('mistral-401', 32).toLowerCase() })
        : errorReply(kind, 401, 'Incorrect API key provided.'),
  };
}

function handle(kind: OpenAIDialectKind, req: MockWireRequest, ctx: MockWireContext): MockExchange {
  const route = routeOf(kind, req);
  if (route.endpoint === 'models') {
    if (req.method !== 'GET') throw new MockHttpError(405, `${req.method} is not allowed on ${req.path}`);
    return { reply: jsonReply(200, modelList(ctx)) };
  }
  if (req.method !== 'POST') throw new MockHttpError(405, `${req.method} is not allowed on ${req.path}`);
  const body = requireBody(req);
  const model = route.deployment ?? asString(body['model']);
  if (model === undefined) throw new MockHttpError(400, "you must provide a 'model' parameter");
  if (route.endpoint === 'embeddings') return embeddings(kind, body, model, ctx);
  const chat = readOpenAIStyleChat(body, model);
  const { answer, usage } = answerChat(chat, ctx.answer, SUPPORT[kind]);
  const ids = idsFor(kind, ctx);
  const reply = chat.stream
    ? streamReply(kind, chat, answer, usage, ids, ctx)
    : jsonReply(200, completion(kind, chat, answer, usage, ids, ctx));
  return { reply, usage: { model, stream: chat.stream, counts: usage } };
}

interface Route {
  readonly endpoint: 'chat' | 'embeddings' | 'models';
  readonly deployment?: string;
}

function routeOf(kind: OpenAIDialectKind, req: MockWireRequest): Route {
  if (kind === 'azure-openai') {
    const match = AZURE_PATH.exec(req.path);
    if (match === null) throw new MockHttpError(404, 'Resource not found');
    if (req.query.get('api-version') === null) {
      throw new MockHttpError(
        400,
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    const deployment = decodeURIComponent(match[1] ?? '');
    return { endpoint: match[2] === 'embeddings' ? 'embeddings' : 'chat', deployment };
  }
  if (req.path === '/v1/chat/completions') return { endpoint: 'chat' };
  if (req.path === '/v1/embeddings') return { endpoint: 'embeddings' };
  if (req.path === '/v1/models') return { endpoint: 'models' };
  throw new MockHttpError(404, `Invalid URL (${req.method} ${req.path})`);
}

interface Ids {
  readonly completion: string;
  readonly toolCall: string;
}

function idsFor(kind: OpenAIDialectKind, ctx: MockWireContext): Ids {
  const seed = `${kind}-${ctx.sequence}`;
  return kind === 'mistral'
    ? { completion: mockId(seed, 32).toLowerCase(), toolCall: mockId(`${seed}-tool`, 9) }
    : { completion: `chatcmpl-${mockId(seed, 29)}`, toolCall: `call_${mockId(`${seed}-tool`, 24)}` };
}

function usageBody(kind: OpenAIDialectKind, usage: MockTokenCounts): Record<string, unknown> {
  const base = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
  if (kind === 'mistral') return base;
  if (kind === 'openai-compatible') {
    return {
      ...base,
      ...(usage.cachedInputTokens > 0
        ? { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } }
        : {}),
      ...(usage.reasoningTokens > 0
        ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } }
        : {}),
    };
  }
  return {
    ...base,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function finishReason(answer: MockAnswer): string {
  return answer.kind === 'tool_call' ? 'tool_calls' : answer.finish;
}

function toolCalls(answer: MockAnswer & { kind: 'tool_call' }, ids: Ids): unknown[] {
  return [
    { id: ids.toolCall, type: 'function', function: { name: answer.name, arguments: answer.arguments } },
  ];
}

const AZURE_FILTERS = Object.freeze({
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
});

function completion(
  kind: OpenAIDialectKind,
  chat: MockChat,
  answer: MockAnswer,
  usage: MockTokenCounts,
  ids: Ids,
  ctx: MockWireContext,
): Record<string, unknown> {
  const text = answer.kind === 'text' ? answer.text : null;
  const calls = answer.kind === 'tool_call' ? toolCalls(answer, ids) : undefined;
  const message =
    kind === 'mistral'
      ? { role: 'assistant', content: text ?? '', tool_calls: calls ?? null, prefix: false }
      : {
          role: 'assistant',
          content: text,
          refusal: null,
          annotations: [],
          ...(calls === undefined ? {} : { tool_calls: calls }),
        };
  return {
    id: ids.completion,
    object: 'chat.completion',
    created: Math.floor(ctx.now / 1000),
    model: chat.model,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: finishReason(answer),
        ...(kind === 'azure-openai' ? { content_filter_results: AZURE_FILTERS } : {}),
      },
    ],
    usage: usageBody(kind, usage),
    ...(kind === 'mistral' ? {} : { system_fingerprint: 'fp_hubpo_mock' }),
    ...(kind === 'azure-openai'
      ? { prompt_filter_results: [{ prompt_index: 0, content_filter_results: AZURE_FILTERS }] }
      : {}),
  };
}

function streamReply(
  kind: OpenAIDialectKind,
  chat: MockChat,
  answer: MockAnswer,
  usage: MockTokenCounts,
  ids: Ids,
  ctx: MockWireContext,
): MockReply {
  // OpenAI adds `usage: null` to every chunk when the client asked for the usage chunk.
  const withUsage = kind !== 'mistral' && chat.includeUsage;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    sseEvent({
      id: ids.completion,
      object: 'chat.completion.chunk',
      created: Math.floor(ctx.now / 1000),
      model: chat.model,
      ...(kind === 'mistral' ? {} : { system_fingerprint: 'fp_hubpo_mock' }),
      choices,
      ...(withUsage ? { usage: null } : {}),
      ...extra,
    });
  const delta = (d: Record<string, unknown>, finish: string | null = null): Record<string, unknown> => ({
    index: 0,
    delta: d,
    ...(kind === 'mistral' ? {} : { logprobs: null }),
    finish_reason: finish,
  });
  const chunks: string[] = [];
  if (kind === 'azure-openai') {
    chunks.push(
      sseEvent({
        choices: [],
        created: 0,
        id: '',
        model: '',
        object: '',
        prompt_filter_results: [{ prompt_index: 0, content_filter_results: AZURE_FILTERS }],
      }),
    );
  }
  if (kind === 'mistral') {
    chunks.push(...mistralChunks(answer, usage, ids, chunk, delta));
  } else {
    chunks.push(...openAIChunks(answer, ids, chunk, delta));
    if (withUsage) chunks.push(chunk([], { usage: usageBody(kind, usage) }));
  }
  chunks.push(sseEvent('[DONE]'));
  return { kind: 'stream', status: 200, headers: SSE_HEADERS, chunks };
}

type ChunkFn = (choices: unknown[], extra?: Record<string, unknown>) => string;
type DeltaFn = (d: Record<string, unknown>, finish?: string | null) => Record<string, unknown>;

function openAIChunks(answer: MockAnswer, ids: Ids, chunk: ChunkFn, delta: DeltaFn): string[] {
  const chunks: string[] = [];
  if (answer.kind === 'tool_call') {
    const start = {
      index: 0,
      id: ids.toolCall,
      type: 'function',
      function: { name: answer.name, arguments: '' },
    };
    chunks.push(chunk([delta({ role: 'assistant', content: null, tool_calls: [start], refusal: null })]));
    for (const piece of splitCodePoints(answer.arguments, TOOL_ARGUMENT_PIECE)) {
      chunks.push(chunk([delta({ tool_calls: [{ index: 0, function: { arguments: piece } }] })]));
    }
  } else {
    chunks.push(chunk([delta({ role: 'assistant', content: '', refusal: null })]));
    for (const piece of streamPieces(answer.text)) chunks.push(chunk([delta({ content: piece })]));
  }
  chunks.push(chunk([delta({}, finishReason(answer))]));
  return chunks;
}

/** Mistral: the whole tool call in one chunk, and usage next to the finish reason. */
function mistralChunks(
  answer: MockAnswer,
  usage: MockTokenCounts,
  ids: Ids,
  chunk: ChunkFn,
  delta: DeltaFn,
): string[] {
  const chunks = [chunk([delta({ role: 'assistant', content: '' })])];
  const final = { usage: usageBody('mistral', usage) };
  if (answer.kind === 'tool_call') {
    const call = { id: ids.toolCall, function: { name: answer.name, arguments: answer.arguments }, index: 0 };
    chunks.push(chunk([delta({ content: '', tool_calls: [call] }, 'tool_calls')], final));
    return chunks;
  }
  for (const piece of streamPieces(answer.text)) chunks.push(chunk([delta({ content: piece })]));
  chunks.push(chunk([delta({ content: '' }, answer.finish)], final));
  return chunks;
}

function embeddings(
  kind: OpenAIDialectKind,
  body: Readonly<Record<string, unknown>>,
  model: string,
  ctx: MockWireContext,
): MockExchange {
  const inputs = embeddingInputs(body['input']);
  const dimensions = asCount(body['dimensions']) ?? ctx.embeddingDimensions;
  const base64 = body['encoding_format'] === 'base64';
  let promptTokens = 0;
  const data = inputs.map((input, index) => {
    promptTokens += typeof input === 'string' ? tokenCount(input) : input.length;
    const vector = mockEmbedding(typeof input === 'string' ? input : JSON.stringify(input), dimensions);
    const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const usage = { prompt_tokens: promptTokens, total_tokens: promptTokens };
  const response = {
    ...(kind === 'mistral' ? { id: mockId(`embd-${ctx.sequence}`, 32).toLowerCase() } : {}),
    object: 'list',
    data,
    model,
    usage: kind === 'mistral' ? { ...usage, completion_tokens: 0 } : usage,
  };
  const counts = {
    inputTokens: promptTokens,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    outputTokens: 0,
  };
  return { reply: jsonReply(200, response), usage: { model, stream: false, counts } };
}

/** `input`: a string, strings, a token array or token arrays. */
function embeddingInputs(input: unknown): (string | readonly number[])[] {
  if (typeof input === 'string') return [input];
  const items = asArray(input);
  if (items.length === 0) throw new MockHttpError(400, "'input' must be a non-empty string or array");
  if (items.every((i) => typeof i === 'number')) return [items as number[]];
  return items.map((item, i) => {
    if (typeof item === 'string') return item;
    if (Array.isArray(item) && item.every((t) => typeof t === 'number')) return item as number[];
    throw new MockHttpError(400, `'input.${i}' must be a string or an array of token ids`);
  });
}

function modelList(ctx: MockWireContext): Record<string, unknown> {
  return {
    object: 'list',
    data: ctx.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'hubpo-mock' })),
  };
}

const OPENAI_ERROR_TYPES: Readonly<Record<number, readonly [string, string | null]>> = Object.freeze({
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  403: ['permission_error', null],
  404: ['invalid_request_error', 'not_found'],
  429: ['requests', 'rate_limit_exceeded'],
  500: ['server_error', null],
  503: ['server_error', null],
});

function errorReply(kind: OpenAIDialectKind, status: number, message: string): MockReply & { kind: 'body' } {
  const [type, code] = OPENAI_ERROR_TYPES[status] ?? [
    status >= 500 ? 'server_error' : 'invalid_request_error',
    null,
  ];
  if (kind === 'azure-openai') return jsonReply(status, { error: { code: String(status), message } });
  if (kind === 'mistral')
    return jsonReply(status, { object: 'error', message, type, param: null, code: String(status) });
  return jsonReply(status, { error: { message, type, param: null, code } });
}
