import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatRequest } from '../internal/chat-request.js';
import type { StreamDecoder, StreamEvent } from '../internal/stream-event.js';
import type { ProviderId } from '../provider-adapter.js';
import { encodeEventStreamMessage } from '../providers/bedrock/event-stream-codec.js';

/** The text every recorded plain completion answers (with a 4-byte emoji to split across chunks). */
export const HELLO_TEXT = 'Hello there! 👋 How can I help?';

const PROVIDERS_DIR = join(__dirname, '..', 'providers');

/** A recorded fixture's bytes. Bedrock streams are kept as reviewable JSON frames and encoded here. */
export function fixtureBytes(provider: ProviderId, name: string): Uint8Array {
  const dir = join(PROVIDERS_DIR, provider, 'testdata');
  if (provider === 'bedrock' && name.endsWith('.stream')) {
    const frames = JSON.parse(readFileSync(join(dir, `${name}.frames.json`), 'utf8')) as {
      headers: Record<string, string>;
      payload: unknown;
    }[];
    const encoded = frames.map((f) =>
      encodeEventStreamMessage({
        headers: f.headers,
        payload: new TextEncoder().encode(JSON.stringify(f.payload)),
      }),
    );
    return Buffer.concat(encoded);
  }
  const file = name.endsWith('.stream') ? `${name}.sse` : `${name}.json`;
  return new Uint8Array(readFileSync(join(dir, file)));
}

/** Deterministic PRNG (mulberry32), so "random" chunkings are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits bytes into chunks of the given sizes (cycled). */
export function chunk(bytes: Uint8Array, sizes: (i: number) => number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const n = Math.max(1, sizes(i));
    out.push(bytes.subarray(offset, offset + n));
    offset += n;
  }
  return out;
}

export function randomChunks(bytes: Uint8Array, seed: number, max = 17): Uint8Array[] {
  const next = prng(seed);
  return chunk(bytes, () => 1 + Math.floor(next() * max));
}

/** Feeds chunks through a fresh decoder and returns every event, `end()` included. */
export function decodeAll(decoder: StreamDecoder, chunks: readonly Uint8Array[]): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (const c of chunks) events.push(...decoder.push(c));
  events.push(...decoder.end());
  return events;
}

/** Checks the StreamEvent grammar: start first, stop last, deltas only inside open blocks. */
export function grammarViolations(events: readonly StreamEvent[]): string[] {
  const problems: string[] = [];
  const open = new Set<number>();
  const seen = new Set<number>();
  events.forEach((e, i) => {
    if (i === 0 && e.kind !== 'message_start' && e.kind !== 'error')
      problems.push(`first event is ${e.kind}`);
    if (e.kind === 'message_start' && i !== 0) problems.push('message_start not first');
    if (e.kind === 'block_start') {
      if (seen.has(e.index)) problems.push(`block ${e.index} started twice`);
      seen.add(e.index);
      open.add(e.index);
    }
    if (
      (e.kind === 'text_delta' || e.kind === 'tool_call_delta' || e.kind === 'thinking_delta') &&
      !open.has(e.index)
    ) {
      problems.push(`${e.kind} outside open block ${e.index}`);
    }
    if (e.kind === 'block_stop') {
      if (!open.has(e.index)) problems.push(`block_stop of closed block ${e.index}`);
      open.delete(e.index);
    }
    if (e.kind === 'message_stop' && i !== events.length - 1) problems.push('message_stop not last');
  });
  const last = events[events.length - 1];
  if (last?.kind === 'message_stop' && open.size > 0) problems.push('blocks left open at message_stop');
  return problems;
}

const GET_WEATHER_SCHEMA = {
  type: 'object',
  properties: { city: { type: 'string', description: 'City name' } },
  required: ['city'],
};

/** A plain chat: a system message, a user turn, sampling fields. Fresh object per call. */
export function plainRequest(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'client-model',
    system: [],
    messages: [
      { role: 'system', content: [{ kind: 'text', text: 'You are terse.' }] },
      { role: 'user', content: [{ kind: 'text', text: 'Say hello' }] },
    ],
    tools: [],
    maxTokens: 100,
    temperature: 0.2,
    stop: ['END'],
    stream: false,
    streamOptions: { includeUsage: false },
    extensions: {},
    ...overrides,
  };
}

/** A tool conversation: an earlier call and its result in history, a tool forced by name. */
export function toolsRequest(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'client-model',
    system: [{ kind: 'text', text: 'You answer weather questions.' }],
    messages: [
      { role: 'user', content: [{ kind: 'text', text: 'Weather in Paris?' }] },
      {
        role: 'assistant',
        content: [
          { kind: 'tool_call', id: 'call_prev1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        ],
      },
      {
        role: 'tool',
        content: [
          {
            kind: 'tool_result',
            toolCallId: 'call_prev1',
            content: [{ kind: 'text', text: '18C and sunny' }],
          },
        ],
      },
      { role: 'user', content: [{ kind: 'text', text: 'And again, please?' }] },
    ],
    tools: [
      {
        kind: 'function',
        name: 'get_weather',
        description: 'Current weather',
        parameters: GET_WEATHER_SCHEMA,
      },
    ],
    toolChoice: { kind: 'tool', name: 'get_weather' },
    stream: false,
    streamOptions: { includeUsage: false },
    extensions: {},
    ...overrides,
  };
}

export function jsonRequest(kind: 'json_object' | 'json_schema'): ChatRequest {
  return plainRequest({
    responseFormat:
      kind === 'json_object'
        ? { kind: 'json_object' }
        : {
            kind: 'json_schema',
            name: 'greeting',
            schema: { type: 'object', properties: { text: { type: 'string' } } },
            strict: true,
          },
  });
}

export const CTX = Object.freeze({
  requestId: 'req-123',
  now: Date.UTC(2025, 0, 15, 10, 30, 0),
});
