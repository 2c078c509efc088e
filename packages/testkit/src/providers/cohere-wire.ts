import { answerChat, streamPieces, tokenCount } from './mock-answer.js';
import type { MockAnswer, MockChat, MockTokenCounts } from './mock-chat.js';
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
  asString,
  bearerIs,
  jsonReply,
  mockEmbedding,
  mockId,
  mockUuid,
  requireBody,
  splitCodePoints,
  sseEvent,
} from './mock-wire.js';
import { readOpenAIStyleChat } from './openai-chat-reader.js';

/*
 * Cohere Chat v2 (https://docs.cohere.com/reference/chat, streaming:
 * https://docs.cohere.com/reference/chat-stream) and Embed v2. Usage has `billed_units` (what
 * Cohere charges) and raw `tokens`, which also count Cohere's prompt template: the mock adds a
 * fixed TEMPLATE_TOKENS to the raw input count so a reader of the wrong field is caught.
 */

const SUPPORT = Object.freeze({ cacheRead: true, cacheWrite: false, reasoning: false });
const TEMPLATE_TOKENS = 64;
const TOOL_ARGUMENT_PIECE = 8;

export function cohereWire(): MockWire {
  return {
    handle,
    error: errorReply,
    authorized: bearerIs,
    unauthorized: () => errorReply(401, 'invalid api token'),
  };
}

function handle(req: MockWireRequest, ctx: MockWireContext): MockExchange {
  if (req.path !== '/v2/chat' && req.path !== '/v2/embed') {
    throw new MockHttpError(404, `route ${req.path} not found`);
  }
  if (req.method !== 'POST') throw new MockHttpError(405, `${req.method} is not allowed on ${req.path}`);
  const body = requireBody(req);
  const model = asString(body['model']);
  if (model === undefined) throw new MockHttpError(400, 'invalid request: model is required');
  if (req.path === '/v2/embed') return embed(body, model, ctx);
  const chat = readOpenAIStyleChat(body, model);
  const { answer, usage } = answerChat(chat, ctx.answer, SUPPORT);
  const id = mockUuid(`cohere-${ctx.sequence}`);
  const toolCallId = `${answer.kind === 'tool_call' ? answer.name : 'tool'}_${mockId(`cohere-${ctx.sequence}`, 12).toLowerCase()}`;
  const reply: MockReply = chat.stream
    ? {
        kind: 'stream',
        status: 200,
        headers: SSE_HEADERS,
        chunks: streamEvents(id, answer, usage, toolCallId),
      }
    : jsonReply(200, response(id, chat, answer, usage, toolCallId));
  return { reply, usage: { model, stream: chat.stream, counts: usage } };
}

function usageBody(usage: MockTokenCounts): Record<string, unknown> {
  return {
    billed_units: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens },
    tokens: { input_tokens: usage.inputTokens + TEMPLATE_TOKENS, output_tokens: usage.outputTokens },
    ...(usage.cachedInputTokens > 0 ? { cached_tokens: usage.cachedInputTokens } : {}),
  };
}

function finishReason(answer: MockAnswer): string {
  if (answer.kind === 'tool_call') return 'TOOL_CALL';
  return answer.finish === 'length' ? 'MAX_TOKENS' : 'COMPLETE';
}

function response(
  id: string,
  _chat: MockChat,
  answer: MockAnswer,
  usage: MockTokenCounts,
  toolCallId: string,
): Record<string, unknown> {
  const message =
    answer.kind === 'text'
      ? { role: 'assistant', content: [{ type: 'text', text: answer.text }] }
      : {
          role: 'assistant',
          tool_plan: `I will use ${answer.name}.`,
          tool_calls: [
            {
              id: toolCallId,
              type: 'function',
              function: { name: answer.name, arguments: answer.arguments },
            },
          ],
        };
  return { id, finish_reason: finishReason(answer), message, usage: usageBody(usage) };
}

function streamEvents(id: string, answer: MockAnswer, usage: MockTokenCounts, toolCallId: string): string[] {
  const event = (type: string, data: Record<string, unknown>): string => sseEvent({ type, ...data }, type);
  const start = { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] };
  const events = [event('message-start', { id, delta: { message: start } })];
  if (answer.kind === 'text') {
    events.push(
      event('content-start', { index: 0, delta: { message: { content: { type: 'text', text: '' } } } }),
    );
    for (const text of streamPieces(answer.text)) {
      events.push(
        event('content-delta', { index: 0, delta: { message: { content: { text } } }, logprobs: null }),
      );
    }
    events.push(event('content-end', { index: 0 }));
  } else {
    events.push(
      event('tool-plan-delta', { delta: { message: { tool_plan: `I will use ${answer.name}.` } } }),
    );
    const call = { id: toolCallId, type: 'function', function: { name: answer.name, arguments: '' } };
    events.push(event('tool-call-start', { index: 0, delta: { message: { tool_calls: call } } }));
    for (const piece of splitCodePoints(answer.arguments, TOOL_ARGUMENT_PIECE)) {
      const delta = { message: { tool_calls: { function: { arguments: piece } } } };
      events.push(event('tool-call-delta', { index: 0, delta }));
    }
    events.push(event('tool-call-end', { index: 0 }));
  }
  events.push(
    event('message-end', { delta: { finish_reason: finishReason(answer), usage: usageBody(usage) } }),
  );
  return events;
}

function embed(body: JsonRecord, model: string, ctx: MockWireContext): MockExchange {
  const texts = asArray(body['texts']).map((t) => asString(t) ?? '');
  if (texts.length === 0) throw new MockHttpError(400, 'invalid request: texts must not be empty');
  const dimensions = asCount(body['output_dimension']) ?? ctx.embeddingDimensions;
  const tokens = texts.reduce((sum, t) => sum + tokenCount(t), 0);
  const response = {
    id: mockUuid(`cohere-embed-${ctx.sequence}`),
    embeddings: { float: texts.map((t) => mockEmbedding(t, dimensions)) },
    texts,
    meta: { api_version: { version: '2' }, billed_units: { input_tokens: tokens } },
    response_type: 'embeddings_by_type',
  };
  const counts = {
    inputTokens: tokens,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    outputTokens: 0,
  };
  return { reply: jsonReply(200, response), usage: { model, stream: false, counts } };
}

function errorReply(status: number, message: string): MockReply & { kind: 'body' } {
  return jsonReply(status, { id: mockUuid(`cohere-error-${status}-${message}`), message });
}
