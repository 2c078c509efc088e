import type { MockChat, MockChatMessage, MockChatTool, MockToolChoice } from './mock-chat.js';
import type { JsonRecord } from './mock-wire.js';
import { MockHttpError, asArray, asCount, asRecord, asString, lastUserText } from './mock-wire.js';

/**
 * Reads an OpenAI-style chat body (`messages` with string or part-array `content`, `tool_calls`,
 * `role: tool`, function `tools`, `tool_choice`): OpenAI, Azure OpenAI, OpenAI-compatible servers,
 * Mistral and Cohere v2 share this shape. `model` is passed in (Azure takes it from the URL).
 */
export function readOpenAIStyleChat(body: JsonRecord, model: string): MockChat {
  const rawMessages = body['messages'];
  if (!Array.isArray(rawMessages) || rawMessages.length === 0) {
    throw new MockHttpError(400, "'messages' must be a non-empty array");
  }
  const messages = rawMessages.map(readMessage);
  const tools = asArray(body['tools']).flatMap(readTool);
  const maxTokens = asCount(body['max_completion_tokens']) ?? asCount(body['max_tokens']);
  return {
    model,
    stream: body['stream'] === true,
    includeUsage: asRecord(body['stream_options'])?.['include_usage'] === true,
    system: [],
    messages,
    lastUserText: lastUserText(messages),
    tools,
    toolChoice: readToolChoice(body['tool_choice']),
    ...(maxTokens === undefined ? {} : { maxTokens }),
  };
}

function readMessage(value: unknown, index: number): MockChatMessage {
  const message = asRecord(value);
  const role = asString(message?.['role']);
  if (message === undefined || role === undefined) {
    throw new MockHttpError(400, `'messages.${index}' must be an object with a 'role'`);
  }
  const text = contentText(message['content']);
  const texts = text === '' ? [] : [text];
  for (const call of asArray(message['tool_calls'])) {
    const fn = asRecord(asRecord(call)?.['function']);
    texts.push(asString(fn?.['name']) ?? '', asString(fn?.['arguments']) ?? '');
  }
  // Role names count as the framing's per-message tokens; the text of system turns is in `texts`.
  return { role: role === 'developer' ? 'system' : role, text, texts };
}

/** Text of a `content` field: a string, or the text of every part that has one. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of asArray(content)) {
    const record = asRecord(part);
    const value = asString(record?.['text']);
    if (value !== undefined) text += value;
  }
  return text;
}

function readTool(value: unknown): MockChatTool[] {
  const fn = asRecord(asRecord(value)?.['function']);
  const name = asString(fn?.['name']);
  if (fn === undefined || name === undefined) return [];
  return [{ name, description: asString(fn['description']) ?? '', schema: fn['parameters'] ?? {} }];
}

/** `auto` / `none` / `required` (Mistral `any`, Cohere `REQUIRED` / `NONE`) or a named function. */
export function readToolChoice(value: unknown): MockToolChoice {
  if (typeof value === 'string') {
    const choice = value.toLowerCase();
    if (choice === 'none') return { kind: 'none' };
    if (choice === 'required' || choice === 'any') return { kind: 'required' };
    return { kind: 'auto' };
  }
  const name = asString(asRecord(asRecord(value)?.['function'])?.['name']);
  return name === undefined ? { kind: 'auto' } : { kind: 'tool', name };
}
