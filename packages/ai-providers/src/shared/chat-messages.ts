import { HubpoError } from '@hubpo/core';
import type {
  ChatRequest,
  MediaSource,
  Message,
  TextPart,
  ToolResultPart,
} from '../internal/chat-request.js';
import { isObject } from './json-value.js';

/**
 * System prompt for targets with one system slot: the request's top-level `system` blocks, then
 * the text of every system/developer message, in order.
 */
export function hoistedSystem(req: ChatRequest): TextPart[] {
  const out: TextPart[] = [...req.system];
  for (const message of req.messages) {
    if (message.role !== 'system' && message.role !== 'developer') continue;
    for (const part of message.content) if (part.kind === 'text') out.push(part);
  }
  return out;
}

/** Messages other than system/developer ones (those are hoisted). */
export function conversation(req: ChatRequest): Message[] {
  return req.messages.filter((m) => m.role !== 'system' && m.role !== 'developer');
}

/** Text of a tool result, its text parts joined by newlines. */
export function toolResultText(part: ToolResultPart): string {
  let out = '';
  for (const inner of part.content) {
    if (inner.kind !== 'text') continue;
    out = out.length === 0 ? inner.text : `${out}\n${inner.text}`;
  }
  return out;
}

/** The tool call arguments as an object, for providers that take objects (Anthropic, Gemini, Bedrock). */
export function toolArgumentsObject(args: string, toolCallId: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    parsed = undefined;
  }
  if (!isObject(parsed)) {
    throw new HubpoError('BAD_REQUEST', `arguments of tool call ${toolCallId} are not a JSON object`, {
      issues: [{ path: `/tool_calls/${toolCallId}/arguments`, message: 'must be a JSON object' }],
    });
  }
  return parsed;
}

/** `data:` URL of inline media, or the URL itself. */
export function mediaUrl(source: MediaSource): string {
  return source.kind === 'url' ? source.url : `data:${source.mediaType};base64,${source.data}`;
}

const DATA_URL_PREFIX = 'data:';
const BASE64_MARKER = ';base64,';

/** Parses a base64 `data:` URL into an inline source; any other URL stays a URL. */
export function mediaSourceFromUrl(url: string): MediaSource {
  if (url.startsWith(DATA_URL_PREFIX)) {
    const marker = url.indexOf(BASE64_MARKER);
    if (marker > 0) {
      return {
        kind: 'base64',
        mediaType: url.slice(DATA_URL_PREFIX.length, marker),
        data: url.slice(marker + BASE64_MARKER.length),
      };
    }
  }
  return { kind: 'url', url };
}

/** Map of tool call id to tool name over a conversation (for providers that answer by name). */
export function toolNamesById(messages: readonly Message[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of messages) {
    for (const part of message.content) if (part.kind === 'tool_call') names.set(part.id, part.name);
  }
  return names;
}
