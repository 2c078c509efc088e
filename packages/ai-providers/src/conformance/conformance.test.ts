import { HubpoError } from '@hubpo/core';
import { adapters } from '../adapters.js';
import { StreamAccumulator } from '../accumulate-stream.js';
import { checkCapabilities } from '../check-capabilities.js';
import { choiceText } from '../internal/chat-response.js';
import type { ChatResponse, OutputPart } from '../internal/chat-response.js';
import type { StreamEvent } from '../internal/stream-event.js';
import { mergeCapabilities } from '../capabilities.js';
import { mistralToolCallId } from '../providers/mistral/mistral-adapter.js';
import {
  CTX,
  chunk,
  decodeAll,
  grammarViolations,
  jsonRequest,
  plainRequest,
  randomChunks,
  toolsRequest,
} from './fixtures.js';
import { HARNESSES } from './harnesses.js';
import type { Harness } from './harnesses.js';

/**
 * One suite, every adapter, the same cases (CONVENTIONS.md §5): request translation, plain
 * completion, streaming under any chunking, tools, JSON mode, error mapping, usage with cached
 * tokens, embeddings. Recorded exchanges live in src/providers/<id>/testdata/.
 */
function toolCall(parts: readonly OutputPart[]): Extract<OutputPart, { kind: 'tool_call' }> {
  const call = parts.find((p): p is Extract<OutputPart, { kind: 'tool_call' }> => p.kind === 'tool_call');
  if (call === undefined) throw new Error('no tool call');
  return call;
}

function accumulate(events: readonly StreamEvent[]): ChatResponse {
  return new StreamAccumulator().addAll(events).response();
}

describe.each(HARNESSES.map((h) => [h.id, h] as const))('%s adapter', (_id, h: Harness) => {
  const adapter = adapters[h.id];
  const ctx = { ...CTX, credentials: h.credentials };
  const responseCtx = { requestId: CTX.requestId, now: CTX.now };

  it('is registered under its id with a frozen adapter', () => {
    expect(adapter.id).toBe(h.id);
    expect(Object.isFrozen(adapter)).toBe(true);
    expect(Object.isFrozen(adapter.capabilities)).toBe(true);
  });

  describe('plain completion', () => {
    it('translates the request: system, user turn, sampling, credentials', () => {
      const spec = adapter.buildRequest(plainRequest(), h.target, ctx);
      expect(spec.method).toBe('POST');
      const [header, value] = h.authHeader;
      expect(spec.headers[header]).toContain(value);
      const facts = h.facts(spec);
      expect(facts).toMatchObject({
        system: 'You are terse.',
        lastUser: 'Say hello',
        maxTokens: 100,
        temperature: 0.2,
        stream: false,
      });
      expect(facts.stop).toEqual(['END']);
      expect(facts.tools).toEqual([]);
    });

    it('parses the response text, finish reason and usage (cached tokens included)', () => {
      const res = adapter.parseResponse(200, {}, h.fixture('chat.response'), responseCtx);
      expect(res.choices).toHaveLength(1);
      const choice = res.choices[0]!;
      expect(choiceText(choice)).toBe(h.expect.chatText);
      expect(choice.finish.reason).toBe('stop');
      expect(res.usage).toEqual(h.expect.chatUsage);
      expect(res.id).not.toBe('');
    });
  });

  describe('streaming', () => {
    it('asks for a stream, with usage', () => {
      const facts = h.facts(adapter.buildRequest(plainRequest({ stream: true }), h.target, ctx));
      expect(facts.stream).toBe(true);
      expect(facts.streamUsage).toBe(true);
    });

    it('decodes the same events whatever the chunking (whole, 1-byte, random)', () => {
      const bytes = h.fixture('chat.stream');
      const whole = decodeAll(adapter.createStreamDecoder(responseCtx), [bytes]);
      expect(grammarViolations(whole)).toEqual([]);
      expect(whole[whole.length - 1]?.kind).toBe('message_stop');
      expect(
        decodeAll(
          adapter.createStreamDecoder(responseCtx),
          chunk(bytes, () => 1),
        ),
      ).toEqual(whole);
      for (const seed of [1, 2, 3]) {
        expect(decodeAll(adapter.createStreamDecoder(responseCtx), randomChunks(bytes, seed))).toEqual(whole);
      }
    });

    it('adds up to the same text, finish and usage as the non-streamed answer', () => {
      const events = decodeAll(
        adapter.createStreamDecoder(responseCtx),
        randomChunks(h.fixture('chat.stream'), 7),
      );
      const res = accumulate(events);
      expect(choiceText(res.choices[0]!)).toBe(h.expect.chatText);
      expect(res.choices[0]!.finish.reason).toBe('stop');
      expect(res.usage).toEqual(h.expect.chatUsage);
      expect(events.filter((e) => e.kind === 'text_delta').length).toBeGreaterThan(1);
    });

    it('reports a stream cut short as an error, not a completion', () => {
      const bytes = h.fixture('chat.stream');
      const events = decodeAll(adapter.createStreamDecoder(responseCtx), [
        bytes.subarray(0, Math.floor(bytes.length / 2)),
      ]);
      const last = events[events.length - 1];
      expect(last?.kind).toBe('error');
      expect(events.some((e) => e.kind === 'message_stop')).toBe(false);
    });
  });

  describe('tools', () => {
    it('translates tools, the forced choice, and the earlier call and result', () => {
      const facts = h.facts(adapter.buildRequest(toolsRequest(), h.target, ctx));
      expect(facts.tools).toEqual(['get_weather']);
      expect(facts.toolChoice).toBe(h.expect.forcedToolChoice);
      expect(facts.system).toBe('You answer weather questions.');
      expect(facts.lastUser).toBe('And again, please?');
      expect(facts.priorCall).toEqual({ name: 'get_weather', args: { city: 'Paris' } });
      const answers =
        h.expect.toolResultAnswers === 'mistral-id'
          ? mistralToolCallId('call_prev1')
          : h.expect.toolResultAnswers;
      expect(facts.toolResult).toEqual({ answers, text: '18C and sunny' });
    });

    it('parses a tool-call response', () => {
      const res = adapter.parseResponse(200, {}, h.fixture('tools.response'), responseCtx);
      const call = toolCall(res.choices[0]!.content);
      expect(call.name).toBe('get_weather');
      expect(JSON.parse(call.arguments)).toEqual(
        h.id === 'mock' ? { input: 'And again, please?' } : { city: 'Paris' },
      );
      expect(call.id).not.toBe('');
      expect(res.choices[0]!.finish.reason).toBe('tool_calls');
      if (h.expect.toolsUsage !== undefined) expect(res.usage).toEqual(h.expect.toolsUsage);
    });

    it('decodes streamed tool-call argument deltas under any chunking', () => {
      const bytes = h.fixture('tools.stream');
      const whole = decodeAll(adapter.createStreamDecoder(responseCtx), [bytes]);
      expect(grammarViolations(whole)).toEqual([]);
      expect(
        decodeAll(
          adapter.createStreamDecoder(responseCtx),
          chunk(bytes, () => 1),
        ),
      ).toEqual(whole);
      expect(whole.some((e) => e.kind === 'tool_call_delta')).toBe(true);
      const res = accumulate(whole);
      const call = toolCall(res.choices[0]!.content);
      expect(call.name).toBe('get_weather');
      const nonStreamed = toolCall(
        adapter.parseResponse(200, {}, h.fixture('tools.response'), responseCtx).choices[0]!.content,
      );
      expect(JSON.parse(call.arguments)).toEqual(JSON.parse(nonStreamed.arguments));
      expect(res.choices[0]!.finish.reason).toBe('tool_calls');
      if (h.expect.toolsUsage !== undefined) expect(res.usage).toEqual(h.expect.toolsUsage);
    });
  });

  describe('JSON mode', () => {
    it('sends JSON mode natively, or is rejected / dropped by checkCapabilities', () => {
      const req = jsonRequest('json_object');
      if (adapter.capabilities.jsonMode) {
        expect(h.facts(adapter.buildRequest(req, h.target, ctx)).json).toBe('object');
        expect(checkCapabilities(req, adapter.capabilities, 'reject').warnings).toEqual([]);
        return;
      }
      expect(() => checkCapabilities(req, adapter.capabilities, 'reject')).toThrow(
        expect.objectContaining({ kind: 'UNSUPPORTED_FEATURE' }),
      );
      const dropped = checkCapabilities(req, adapter.capabilities, 'drop');
      expect(dropped.request.responseFormat).toBeUndefined();
      expect(dropped.warnings.map((w) => w.feature)).toEqual(['jsonMode']);
      expect(h.facts(adapter.buildRequest(dropped.request, h.target, ctx)).json).toBeUndefined();
    });

    it('sends a JSON schema natively, or degrades it', () => {
      const req = jsonRequest('json_schema');
      const caps = adapter.capabilities;
      const checked = checkCapabilities(req, caps, 'drop');
      const expected = caps.jsonSchema ? 'schema' : caps.jsonMode ? 'object' : undefined;
      expect(h.facts(adapter.buildRequest(checked.request, h.target, ctx)).json).toBe(expected);
    });
  });

  describe('error mapping', () => {
    it.each(['auth', 'rate-limit', 'server', 'overloaded'] as const)(
      'maps %s to a stable kind with retryability',
      (name) => {
        const c = h.expect.errors[name];
        const err = adapter.parseError(c.status, c.headers ?? {}, h.fixture(`error.${name}`));
        expect(err).toBeInstanceOf(HubpoError);
        expect(err.kind).toBe(c.kind);
        expect(err.retryable).toBe(c.retryable);
        expect(err.message.length).toBeGreaterThan(0);
        if (c.retryAfterMs !== undefined) expect(err.details['retryAfterMs']).toBe(c.retryAfterMs);
      },
    );

    it('throws the mapped error when parseResponse gets a non-2xx status', () => {
      const c = h.expect.errors['rate-limit'];
      expect(() => adapter.parseResponse(c.status, c.headers ?? {}, h.fixture('error.rate-limit'))).toThrow(
        expect.objectContaining({ kind: c.kind }),
      );
    });
  });

  describe('embeddings', () => {
    const embeddings = h.expect.embeddings;
    if (embeddings === undefined || !adapter.capabilities.embeddings) {
      it('declares no embeddings support, or is the mock (answers by itself)', () => {
        expect(adapter.buildEmbeddingsRequest === undefined || h.id === 'mock').toBe(true);
      });
      return;
    }
    it('builds an embeddings request and parses vectors and usage', () => {
      const spec = adapter.buildEmbeddingsRequest!(embeddings.request, h.target, ctx);
      expect(spec.method).toBe('POST');
      expect(spec.headers[h.authHeader[0]]).toContain(h.authHeader[1]);
      const res = adapter.parseEmbeddingsResponse!(200, {}, h.fixture('embeddings.response'), {
        request: embeddings.request,
      });
      expect(res.data).toHaveLength(embeddings.vectors);
      expect(res.data.every((e) => e.vector.length > 0 && e.vector.every((v) => typeof v === 'number'))).toBe(
        true,
      );
      expect(res.usage).toEqual(embeddings.usage);
    });
  });

  it('passes through only its own family extensions and applies operator extraBody last', () => {
    const req = plainRequest({
      extensions: { [adapter.family]: { custom_field: 'mine' }, zz_other: { nope: 1 } } as never,
    });
    const spec = adapter.buildRequest(req, { ...h.target, extraBody: { operator_field: true } }, ctx);
    const body = typeof spec.body === 'string' ? spec.body : new TextDecoder().decode(spec.body);
    expect(body).toContain('"custom_field":"mine"');
    expect(body).toContain('"operator_field":true');
    expect(body).not.toContain('nope');
  });

  it('honours target capability overrides', () => {
    const caps = mergeCapabilities(adapter.capabilities, { tools: false });
    const checked = checkCapabilities(toolsRequest(), caps, 'drop', adapter.family);
    expect(checked.request.tools).toEqual([]);
    expect(checked.warnings[0]?.feature).toBe('tools');
  });
});
