import { encodeEventStreamMessage } from '@hubpo/ai-providers';
import { answerChat, streamPieces, tokenCount } from './mock-answer.js';
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
  asArray,
  asCount,
  asRecord,
  asString,
  bearerIs,
  jsonReply,
  lastUserText,
  mockEmbedding,
  mockId,
  mockUuid,
  requireBody,
  splitCodePoints,
} from './mock-wire.js';

/*
 * Amazon Bedrock Runtime Converse / ConverseStream
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html) and
 * InvokeModel for Titan / Cohere embeddings. Streams use the `application/vnd.amazon.eventstream`
 * binary framing, one frame per chunk, encoded with @hubpo/ai-providers' encoder; every event
 * payload carries a `p` padding field as Bedrock's do. `inputTokens` excludes cache reads and
 * writes (`cacheReadInputTokens`, `cacheWriteInputTokens`); `totalTokens` includes them.
 */

const PATH = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/;
const SUPPORT = Object.freeze({ cacheRead: true, cacheWrite: true, reasoning: false });
const TOOL_ARGUMENT_PIECE = 8;
const PADDING = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123';
export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

export function bedrockWire(): MockWire {
  return {
    handle,
    error: errorReply,
    authorized: (req, key) => {
      const auth = req.headers.authorization ?? '';
      return auth.startsWith(`AWS4-HMAC-SHA256 Credential=${key}/`) || bearerIs(req, key);
    },
    unauthorized: () => errorReply(403, 'The security token included in the request is invalid.'),
  };
}

function handle(req: MockWireRequest, ctx: MockWireContext): MockExchange {
  const match = PATH.exec(req.path);
  if (match === null) throw new MockHttpError(404, 'UnknownOperationException');
  if (req.method !== 'POST') throw new MockHttpError(405, `${req.method} is not allowed on ${req.path}`);
  const model = decodeURIComponent(match[1] ?? '');
  const body = requireBody(req);
  if (match[2] === 'invoke') return invokeEmbeddings(body, model, ctx);
  const chat = readChat(body, model, match[2] === 'converse-stream');
  const { answer, usage } = answerChat(chat, ctx.answer, SUPPORT);
  const requestId = mockUuid(`bedrock-${ctx.sequence}`);
  const toolUseId = `tooluse_${mockId(`bedrock-${ctx.sequence}-tool`, 22)}`;
  const reply: MockReply = chat.stream
    ? {
        kind: 'stream',
        status: 200,
        headers: { 'content-type': EVENT_STREAM_CONTENT_TYPE, 'x-amzn-requestid': requestId },
        chunks: frames(answer, usage, toolUseId),
      }
    : jsonReply(200, converseResponse(answer, usage, toolUseId), { 'x-amzn-requestid': requestId });
  return { reply, usage: { model, stream: chat.stream, counts: usage } };
}

function readChat(body: JsonRecord, model: string, stream: boolean): MockChat {
  const raw = body['messages'];
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new MockHttpError(400, 'A conversation must start with a user message.');
  }
  const messages = raw.map(readMessage);
  const toolConfig = asRecord(body['toolConfig']);
  const maxTokens = asCount(asRecord(body['inferenceConfig'])?.['maxTokens']);
  return {
    model,
    stream,
    includeUsage: true,
    system: asArray(body['system']).flatMap((b) => {
      const text = asString(asRecord(b)?.['text']);
      return text === undefined ? [] : [text];
    }),
    messages,
    lastUserText: lastUserText(messages),
    tools: asArray(toolConfig?.['tools']).flatMap(readTool),
    toolChoice: readToolChoice(asRecord(toolConfig?.['toolChoice'])),
    ...(maxTokens === undefined ? {} : { maxTokens }),
  };
}

function readMessage(value: unknown, index: number): MockChatMessage {
  const message = asRecord(value);
  const role = asString(message?.['role']);
  if (message === undefined || (role !== 'user' && role !== 'assistant')) {
    throw new MockHttpError(400, `messages.${index}.role must be user or assistant`);
  }
  let text = '';
  const texts: string[] = [];
  for (const block of asArray(message['content'])) {
    const record = asRecord(block);
    const blockText = asString(record?.['text']);
    if (blockText !== undefined) {
      text += blockText;
      texts.push(blockText);
    }
    const toolUse = asRecord(record?.['toolUse']);
    if (toolUse !== undefined)
      texts.push(asString(toolUse['name']) ?? '', JSON.stringify(toolUse['input'] ?? {}));
    const toolResult = asRecord(record?.['toolResult']);
    if (toolResult !== undefined) texts.push(JSON.stringify(toolResult['content'] ?? []));
  }
  return { role, text, texts };
}

function readTool(value: unknown): MockChatTool[] {
  const spec = asRecord(asRecord(value)?.['toolSpec']);
  const name = asString(spec?.['name']);
  if (spec === undefined || name === undefined) return [];
  const schema = asRecord(spec['inputSchema'])?.['json'] ?? {};
  return [{ name, description: asString(spec['description']) ?? '', schema }];
}

function readToolChoice(choice: JsonRecord | undefined): MockToolChoice {
  if (choice?.['any'] !== undefined) return { kind: 'required' };
  const tool = asRecord(choice?.['tool']);
  if (tool !== undefined) return { kind: 'tool', name: asString(tool['name']) ?? '' };
  return { kind: 'auto' };
}

function usageBody(usage: MockTokenCounts): Record<string, unknown> {
  const cache =
    usage.cachedInputTokens > 0 || usage.cacheWriteTokens > 0
      ? { cacheReadInputTokens: usage.cachedInputTokens, cacheWriteInputTokens: usage.cacheWriteTokens }
      : {};
  return {
    inputTokens: usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.inputTokens + usage.outputTokens,
    ...cache,
  };
}

function stopReason(answer: MockAnswer): string {
  if (answer.kind === 'tool_call') return 'tool_use';
  return answer.finish === 'length' ? 'max_tokens' : 'end_turn';
}

function converseResponse(
  answer: MockAnswer,
  usage: MockTokenCounts,
  toolUseId: string,
): Record<string, unknown> {
  const content =
    answer.kind === 'text'
      ? [{ text: answer.text }]
      : [{ toolUse: { toolUseId, name: answer.name, input: JSON.parse(answer.arguments) as unknown } }];
  return {
    metrics: { latencyMs: 1 },
    output: { message: { content, role: 'assistant' } },
    stopReason: stopReason(answer),
    usage: usageBody(usage),
  };
}

function frames(answer: MockAnswer, usage: MockTokenCounts, toolUseId: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const event = (type: string, payload: Record<string, unknown>): void => {
    const p = PADDING.slice(0, 1 + ((out.length * 7) % PADDING.length));
    out.push(
      encodeEventStreamMessage({
        headers: { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
        payload: Buffer.from(JSON.stringify({ ...payload, p })),
      }),
    );
  };
  event('messageStart', { role: 'assistant' });
  if (answer.kind === 'text') {
    for (const text of streamPieces(answer.text))
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text } });
  } else {
    event('contentBlockStart', {
      contentBlockIndex: 0,
      start: { toolUse: { toolUseId, name: answer.name } },
    });
    for (const input of splitCodePoints(answer.arguments, TOOL_ARGUMENT_PIECE)) {
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input } } });
    }
  }
  event('contentBlockStop', { contentBlockIndex: 0 });
  event('messageStop', { stopReason: stopReason(answer) });
  event('metadata', { usage: usageBody(usage), metrics: { latencyMs: 1 } });
  return out;
}

/** InvokeModel embeddings: Cohere Embed (`cohere.*`, `texts`) or Amazon Titan (`inputText`). */
function invokeEmbeddings(body: JsonRecord, model: string, ctx: MockWireContext): MockExchange {
  const counts = (inputTokens: number): MockTokenCounts => ({
    inputTokens,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    outputTokens: 0,
  });
  if (model.startsWith('cohere.')) {
    const texts = asArray(body['texts']).map((t) => asString(t) ?? '');
    if (texts.length === 0) throw new MockHttpError(400, 'texts must not be empty');
    const embeddings = texts.map((t) => mockEmbedding(t, ctx.embeddingDimensions));
    const tokens = texts.reduce((sum, t) => sum + tokenCount(t), 0);
    const response = {
      id: mockUuid(`embed-${ctx.sequence}`),
      embeddings,
      texts,
      response_type: 'embeddings_floats',
    };
    return {
      reply: jsonReply(200, response),
      usage: { model, stream: false, counts: counts(tokens), reported: false },
    };
  }
  const text = asString(body['inputText']);
  if (text === undefined) throw new MockHttpError(400, 'inputText is required');
  const dimensions = asCount(body['dimensions']) ?? ctx.embeddingDimensions;
  const tokens = tokenCount(text);
  const response = { embedding: mockEmbedding(text, dimensions), inputTextTokenCount: tokens };
  return { reply: jsonReply(200, response), usage: { model, stream: false, counts: counts(tokens) } };
}

const ERROR_TYPES: Readonly<Record<number, string>> = Object.freeze({
  400: 'ValidationException',
  401: 'UnrecognizedClientException',
  403: 'UnrecognizedClientException',
  404: 'ResourceNotFoundException',
  408: 'ModelTimeoutException',
  424: 'ModelErrorException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
});

function errorReply(status: number, message: string): MockReply & { kind: 'body' } {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'InternalServerException' : 'ValidationException');
  return jsonReply(
    status,
    { message },
    {
      'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      'x-amzn-requestid': mockUuid(`error-${status}-${message}`),
    },
  );
}
