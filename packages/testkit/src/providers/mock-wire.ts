import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { MockAnswerOptions } from './mock-answer.js';
import type { MockTokenCounts } from './mock-chat.js';

/** One request as the server received it. */
export interface MockWireRequest {
  readonly method: string;
  /** The URL path, still percent-encoded (Bedrock model ids arrive as `%3A`). */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined when the body is empty or not JSON. */
  readonly body: unknown;
}

export interface MockWireContext {
  /** 1-based number of this call on the server; makes response and tool call ids deterministic. */
  readonly sequence: number;
  /** Epoch milliseconds, for `created` fields. */
  readonly now: number;
  readonly answer: MockAnswerOptions;
  /** Model ids listed by the models endpoints. */
  readonly models: readonly string[];
  /** Length of embedding vectors when the request does not ask for one. */
  readonly embeddingDimensions: number;
}

/** What to send: a whole body, or chunks written one by one (each flushed on its own). */
export type MockReply =
  | {
      readonly kind: 'body';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string | Uint8Array;
    }
  | {
      readonly kind: 'stream';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly chunks: readonly (string | Uint8Array)[];
    };

export interface MockExchange {
  readonly reply: MockReply;
  /** Token accounting of a model call (absent for model lists and errors). */
  readonly usage?: {
    readonly model: string;
    readonly stream: boolean;
    readonly counts: MockTokenCounts;
    /** False when the provider's wire carries no usage for this call (default true). */
    readonly reported?: boolean;
  };
}

/** One provider's wire format: routes, request reading, response rendering and error shape. */
export interface MockWire {
  /** Answers a request; throws `MockHttpError` for what the real provider rejects. */
  handle(req: MockWireRequest, ctx: MockWireContext): MockExchange;
  /** The provider's own error response for an HTTP status. */
  error(status: number, message: string): MockReply & { readonly kind: 'body' };
  /** True when the request carries `apiKey` where this provider expects it. */
  authorized(req: MockWireRequest, apiKey: string): boolean;
  /** The provider's answer to a missing or wrong credential. */
  unauthorized(): MockReply & { readonly kind: 'body' };
}

/** A request the provider refuses; rendered with `MockWire.error`. */
export class MockHttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'MockHttpError';
    this.status = status;
  }
}

export function jsonReply(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): MockReply & { readonly kind: 'body' } {
  return {
    kind: 'body',
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
});

/** One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
export function sseEvent(data: unknown, event?: string, eol = '\n'): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}${eol}`}data: ${payload}${eol}${eol}`;
}

// Small readers for untrusted JSON bodies.

export type JsonRecord = Readonly<Record<string, unknown>>;

export function asRecord(value: unknown): JsonRecord | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonRecord)
    : undefined;
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** The request body as an object, or a 400 the way every provider answers a malformed body. */
export function requireBody(req: MockWireRequest): JsonRecord {
  const body = asRecord(req.body);
  if (body === undefined) throw new MockHttpError(400, 'the request body must be a JSON object');
  return body;
}

/** `Authorization: Bearer <key>` matches. */
export function bearerIs(req: MockWireRequest, key: string): boolean {
  return req.headers.authorization === `Bearer ${key}`;
}

/** Plain text of the last `user` message ('' when there is none). */
export function lastUserText(messages: readonly { readonly role: string; readonly text: string }[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === 'user') return message.text;
  }
  return '';
}

/** A deterministic alphanumeric id of `length` characters derived from `seed`. */
export function mockId(seed: string, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const digest = createHash('sha256').update(seed).digest();
  let id = '';
  for (let i = 0; i < length; i++) id += alphabet[(digest[i % digest.length] ?? 0) % alphabet.length];
  return id;
}

/** A deterministic UUID-shaped id (Bedrock request ids, Cohere ids). */
export function mockUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** `text` in pieces of at most `size` code points (tool arguments streamed the way providers do). */
export function splitCodePoints(text: string, size: number): string[] {
  const points = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < points.length; i += size) pieces.push(points.slice(i, i + size).join(''));
  return pieces;
}

/** A unit-length vector derived from the input's SHA-256 (the same input always gives the same vector). */
export function mockEmbedding(input: string, dimensions: number): number[] {
  const values: number[] = [];
  let block = createHash('sha256').update(input).digest();
  while (values.length < dimensions) {
    for (let i = 0; i + 1 < block.length && values.length < dimensions; i += 2)
      values.push((block.readUInt16BE(i) / 65_535) * 2 - 1);
    block = createHash('sha256').update(block).digest();
  }
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1;
  return values.map((v) => v / norm);
}
