import { adapters, estimateRequestTokens, estimateTokens, makeUsage } from '@hubpo/ai-providers';
import type { ChatRequest, StreamEvent } from '@hubpo/ai-providers';
import { HubpoError } from '@hubpo/core';
import { StreamRelay } from './stream-relay.js';

function request(text: string, includeUsage = false): ChatRequest {
  return {
    model: 'chat',
    system: [],
    messages: [{ role: 'user', content: [{ kind: 'text', text }] }],
    tools: [],
    stream: true,
    streamOptions: { includeUsage },
    extensions: {},
  };
}

const ctx = { credentials: { kind: 'none' } as const, requestId: 'r', now: 0 };

describe('StreamRelay', () => {
  it('holds message_start back and commits on the first answer event', () => {
    const relay = new StreamRelay('openai', request('hi'), 'chat');
    const start = relay.feed([{ kind: 'message_start', id: 'x', model: 'up', created: 1 }]);
    expect(start).toMatchObject({ text: '', committed: false, error: null });
    const first = relay.feed([
      { kind: 'block_start', index: 0, choice: 0, block: { kind: 'text' } },
      { kind: 'text_delta', index: 0, text: 'Hel' },
    ]);
    expect(first.committed).toBe(true);
    expect(first.text).toContain('"role":"assistant"');
    expect(first.text).toContain('"content":"Hel"');
    expect(first.text).toContain('"model":"chat"'); // the AIModel name, not the provider's
    const next = relay.feed([{ kind: 'text_delta', index: 0, text: 'lo' }]);
    expect(next).toMatchObject({ committed: false });
    expect(next.text).toContain('"content":"lo"');
  });

  it('an upstream error before the commit is handed back (the attempt can fall back)', () => {
    const relay = new StreamRelay('anthropic', request('hi'), 'chat');
    const error = new HubpoError('UNAVAILABLE', 'overloaded');
    const out = relay.feed([
      { kind: 'message_start', id: 'x', model: 'up', created: 1 },
      { kind: 'error', error },
    ]);
    expect(out.error).toBe(error);
    expect(relay.committed).toBe(false);
  });

  it('after the commit an upstream error becomes the ingress error event', () => {
    const relay = new StreamRelay('anthropic', request('hi'), 'chat');
    relay.feed([
      { kind: 'message_start', id: 'x', model: 'up', created: 1 },
      { kind: 'block_start', index: 0, choice: 0, block: { kind: 'text' } },
    ]);
    const out = relay.feed([{ kind: 'error', error: new HubpoError('UNAVAILABLE', 'overloaded') }]);
    expect(out.error).toBeNull();
    expect(out.text).toContain('event: error');
    expect(out.text).toContain('overloaded_error');
    expect(relay.failedAfterCommit?.kind).toBe('UNAVAILABLE');
  });

  it('a complete stream keeps the provider usage', () => {
    const req = request('hello world');
    const relay = new StreamRelay('openai', req, 'chat');
    relay.feed(adapters.mock.respondStream(req, ctx));
    expect(relay.complete).toBe(true);
    expect(relay.usage()).toEqual(adapters.mock.respond(req, ctx).usage);
  });

  it('a stream cut short keeps reported input and estimates the output sent so far', () => {
    const req = request('one two three four five six');
    const relay = new StreamRelay('openai', req, 'chat');
    const events = adapters.mock.respondStream(req, ctx).filter((e) => e.kind !== 'usage');
    const cut = events.slice(0, 5); // message_start, block_start, three word deltas
    relay.feed(cut);
    const usage = relay.usage();
    expect(usage.estimated).toBe(true);
    expect(usage.inputTokens).toBe(estimateRequestTokens(req));
    expect(usage.outputTokens).toBe(estimateTokens('one two three ')); // what the client received
  });

  it('reported partial usage (Anthropic sends input at message_start) is kept, output estimated', () => {
    const req = request('abc');
    const relay = new StreamRelay('anthropic', req, 'chat');
    const events: StreamEvent[] = [
      { kind: 'message_start', id: 'x', model: 'up', created: 1 },
      { kind: 'usage', usage: makeUsage({ inputTokens: 42, outputTokens: 1 }) },
      { kind: 'block_start', index: 0, choice: 0, block: { kind: 'text' } },
      { kind: 'text_delta', index: 0, text: 'hello there friend' },
    ];
    relay.feed(events);
    expect(relay.usage()).toMatchObject({ inputTokens: 42, outputTokens: 3, estimated: true });
  });
});
