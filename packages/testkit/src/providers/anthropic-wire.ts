import { answerChat, promptTokens, streamPieces } from './mock-answer.js';
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
  mockId,
  requireBody,
  splitCodePoints,
  sseEvent,
} from './mock-wire.js';

/*
 * Anthropic Messages API (https://docs.anthropic.com/en/api/messages, streaming:
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming): named SSE events
 * message_start, content_block_start, ping, content_block_delta, content_block_stop,
 * message_delta, message_stop. `input_tokens` excludes cache reads and writes, which are reported
 * apart (`cache_read_input_tokens`, `cache_creation_input_tokens`).
 */

const SUPPORT = Object.freeze({ cacheRead: true, cacheWrite: true, reasoning: false });
const TOOL_ARGUMENT_PIECE = 8;

export function anthropicWire(): MockWire {
  return {
    handle,
    error: errorReply,
    authorized: (req, key) => req.headers['x-api-key'] === key || bearerIs(req, key),
    unauthorized: () => errorReply(401, 'invalid x-api-key'),
  };
}

function handle(req: MockWireRequest, ctx: MockWireContext): MockExchange {
  if (req.path === '/v1/models' && req.method === 'GET') return { reply: jsonReply(200, models(ctx)) };
  if (req.path !== '/v1/messages' && req.path !== '/v1/messages/count_tokens') {
    throw new MockHttpError(404, `Not found: ${req.method} ${req.path}`);
  }
  if (req.method !== 'POST') throw new MockHttpError(405, `${req.method} is not allowed on ${req.path}`);
  if (req.headers['anthropic-version'] === undefined) {
    throw new MockHttpError(400, 'anthropic-version: header is required');
  }
  const body = requireBody(req);
  const countOnly = req.path.endsWith('/count_tokens');
  const chat = readChat(body, !countOnly);
  if (countOnly) return { reply: jsonReply(200, { input_tokens: promptTokens(chat) }) };
  const { answer, usage } = answerChat(chat, ctx.answer, SUPPORT);
  const ids = {
    message: `msg_${mockId(`anthropic-${ctx.sequence}`, 24)}`,
    tool: `toolu_${mockId(`anthropic-${ctx.sequence}-tool`, 24)}`,
  };
  const headers = { 'request-id': `req_${mockId(`anthropic-req-${ctx.sequence}`, 24)}` };
  const reply: MockReply = chat.stream
    ? {
        kind: 'stream',
        status: 200,
        headers: { ...SSE_HEADERS, ...headers },
        chunks: streamEvents(chat, answer, usage, ids),
      }
    : jsonReply(200, message(chat, answer, usage, ids), headers);
  return { reply, usage: { model: chat.model, stream: chat.stream, counts: usage } };
}

function readChat(body: JsonRecord, requireMaxTokens: boolean): MockChat {
  const model = asString(body['model']);
  if (model === undefined) throw new MockHttpError(400, 'model: Field required');
  const maxTokens = asCount(body['max_tokens']);
  if (requireMaxTokens && maxTokens === undefined) throw new MockHttpError(400, 'max_tokens: Field required');
  const raw = body['messages'];
  if (!Array.isArray(raw)) throw new MockHttpError(400, 'messages: Field required');
  const messages = raw.map(readMessage);
  const system = body['system'];
  return {
    model,
    stream: body['stream'] === true,
    includeUsage: true,
    system: typeof system === 'string' ? [system] : asArray(system).flatMap((b) => blockTexts(b).texts),
    messages,
    lastUserText: lastUserText(messages),
    tools: asArray(body['tools']).flatMap(readTool),
    toolChoice: readToolChoice(body['tool_choice']),
    ...(maxTokens === undefined ? {} : { maxTokens }),
  };
}

function readMessage(value: unknown, index: number): MockChatMessage {
  const message = asRecord(value);
  const role = asString(message?.['role']);
  if (message === undefined || (role !== 'user' && role !== 'assistant')) {
    throw new MockHttpError(400, `messages.${index}.role: Input should be 'user' or 'assistant'`);
  }
  const content = message['content'];
  if (typeof content === 'string') return { role, text: content, texts: [content] };
  let text = '';
  const texts: string[] = [];
  for (const block of asArray(content)) {
    const read = blockTexts(block);
    text += read.text;
    texts.push(...read.texts);
  }
  return { role, text, texts };
}

/** Plain text of a block (text blocks only) and everything in it that is tokenized. */
function blockTexts(value: unknown): { text: string; texts: string[] } {
  const block = asRecord(value);
  switch (asString(block?.['type'])) {
    case 'text': {
      const text = asString(block?.['text']) ?? '';
      return { text, texts: [text] };
    }
    case 'tool_use':
      return { text: '', texts: [asString(block?.['name']) ?? '', JSON.stringify(block?.['input'] ?? {})] };
    case 'tool_result': {
      const content = block?.['content'];
      if (typeof content === 'string') return { text: '', texts: [content] };
      return { text: '', texts: asArray(content).flatMap((inner) => blockTexts(inner).texts) };
    }
    case 'thinking':
      return { text: '', texts: [asString(block?.['thinking']) ?? ''] };
    default:
      return { text: '', texts: [] };
  }
}

function readTool(value: unknown): MockChatTool[] {
  const tool = asRecord(value);
  const name = asString(tool?.['name']);
  if (tool === undefined || name === undefined) return [];
  return [{ name, description: asString(tool['description']) ?? '', schema: tool['input_schema'] ?? {} }];
}

function readToolChoice(value: unknown): MockToolChoice {
  const choice = asRecord(value);
  switch (asString(choice?.['type'])) {
    case 'none':
      return { kind: 'none' };
    case 'any':
      return { kind: 'required' };
    case 'tool':
      return { kind: 'tool', name: asString(choice?.['name']) ?? '' };
    default:
      return { kind: 'auto' };
  }
}

interface Ids {
  readonly message: string;
  readonly tool: string;
}

function usageBody(usage: MockTokenCounts, outputTokens = usage.outputTokens): Record<string, unknown> {
  return {
    input_tokens: usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cachedInputTokens,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function stopReason(answer: MockAnswer): string {
  if (answer.kind === 'tool_call') return 'tool_use';
  return answer.finish === 'length' ? 'max_tokens' : 'end_turn';
}

function message(
  chat: MockChat,
  answer: MockAnswer,
  usage: MockTokenCounts,
  ids: Ids,
): Record<string, unknown> {
  const content =
    answer.kind === 'text'
      ? [{ type: 'text', text: answer.text }]
      : [
          {
            type: 'tool_use',
            id: ids.tool,
            name: answer.name,
            input: JSON.parse(answer.arguments) as unknown,
          },
        ];
  return {
    id: ids.message,
    type: 'message',
    role: 'assistant',
    model: chat.model,
    content,
    stop_reason: stopReason(answer),
    stop_sequence: null,
    usage: usageBody(usage),
  };
}

function streamEvents(chat: MockChat, answer: MockAnswer, usage: MockTokenCounts, ids: Ids): string[] {
  const event = (type: string, data: Record<string, unknown>): string => sseEvent({ type, ...data }, type);
  const start = {
    id: ids.message,
    type: 'message',
    role: 'assistant',
    model: chat.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: usageBody(usage, 1),
  };
  const events = [event('message_start', { message: start })];
  if (answer.kind === 'text') {
    events.push(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    events.push(event('ping', {}));
    for (const text of streamPieces(answer.text)) {
      events.push(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }));
    }
  } else {
    const block = { type: 'tool_use', id: ids.tool, name: answer.name, input: {} };
    events.push(event('content_block_start', { index: 0, content_block: block }));
    events.push(event('ping', {}));
    for (const partial_json of splitCodePoints(answer.arguments, TOOL_ARGUMENT_PIECE)) {
      events.push(
        event('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json } }),
      );
    }
  }
  events.push(event('content_block_stop', { index: 0 }));
  events.push(
    event('message_delta', {
      delta: { stop_reason: stopReason(answer), stop_sequence: null },
      usage: { output_tokens: usage.outputTokens },
    }),
  );
  events.push(event('message_stop', {}));
  return events;
}

function models(ctx: MockWireContext): Record<string, unknown> {
  const data = ctx.models.map((id) => ({
    type: 'model',
    id,
    display_name: id,
    created_at: '2025-01-01T00:00:00Z',
  }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

const ERROR_TYPES: Readonly<Record<number, string>> = Object.freeze({
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
});

function errorReply(status: number, message: string): MockReply & { kind: 'body' } {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return jsonReply(status, { type: 'error', error: { type, message }, request_id: `req_mock_${status}` });
}
