import { estimateRequestTokens } from '../../estimate-tokens.js';
import type { ChatRequest } from '../../internal/chat-request.js';
import { OpenAIStreamPassthrough } from './openai-stream-passthrough.js';

function request(includeUsage: boolean): ChatRequest {
  return {
    model: 'chat',
    system: [],
    messages: [{ role: 'user', content: [{ kind: 'text', text: 'Say hello to the café' }] }],
    tools: [],
    stream: true,
    streamOptions: { includeUsage },
    extensions: {},
  };
}

function relay(includeUsage = false): OpenAIStreamPassthrough {
  return new OpenAIStreamPassthrough({
    provider: 'openai',
    model: 'chat',
    includeUsage,
    request: request(includeUsage),
  });
}

const head = {
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o',
  system_fingerprint: 'fp',
};
/** An upstream chunk as OpenAI writes it when asked for usage (`"usage":null` on every chunk). */
function chunk(
  delta: Record<string, unknown>,
  finish: string | null = null,
  logprobs: unknown = null,
): string {
  const body = { ...head, choices: [{ index: 0, delta, logprobs, finish_reason: finish }], usage: null };
  return `data: ${JSON.stringify(body)}\n\n`;
}
const USAGE = { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 };
const usageChunk = `data: ${JSON.stringify({ ...head, choices: [], usage: USAGE })}\n\n`;
const DONE = 'data: [DONE]\n\n';
const STREAM =
  chunk({ role: 'assistant', content: '', refusal: null }) +
  chunk({ content: 'Hello ' }, null, { content: [{ token: 'Hello', logprob: -0.5 }] }) +
  chunk({ content: 'café' }) +
  chunk({}, 'stop') +
  usageChunk +
  DONE;

function events(text: string): Record<string, unknown>[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: {'))
    .map((frame) => JSON.parse(frame.slice(6)) as Record<string, unknown>);
}

describe('OpenAIStreamPassthrough', () => {
  it('holds the role chunk back and commits with the first content, model renamed, other fields kept', () => {
    const r = relay();
    const held = r.push(Buffer.from(chunk({ role: 'assistant', content: '' })));
    expect(held).toEqual({ text: '', committed: false, error: null });
    const first = r.push(
      Buffer.from(chunk({ content: 'Hi' }, null, { content: [{ token: 'Hi', logprob: -0.1 }] })),
    );
    expect(first.committed).toBe(true);
    const sent = events(first.text);
    expect(sent.map((e) => e['model'])).toEqual(['chat', 'chat']);
    expect(sent[1]).toEqual({
      ...head,
      model: 'chat',
      choices: [
        {
          index: 0,
          delta: { content: 'Hi' },
          logprobs: { content: [{ token: 'Hi', logprob: -0.1 }] },
          finish_reason: null,
        },
      ],
    });
    const next = r.push(Buffer.from(chunk({ content: ' there' })));
    expect(next.committed).toBe(false);
    expect(events(next.text)[0]).not.toHaveProperty('usage'); // the client did not ask for usage
  });

  it('drops the usage chunk the client did not ask for, and counts it', () => {
    const r = relay(false);
    const out = r.push(Buffer.from(STREAM));
    const end = r.end();
    const sent = events(out.text + end.text);
    expect(sent).toHaveLength(4);
    expect(sent.every((e) => !('usage' in e))).toBe(true);
    expect(out.text.endsWith(DONE)).toBe(true);
    expect(r.usage()).toMatchObject({ inputTokens: 9, outputTokens: 3, estimated: false });
  });

  it('forwards the usage chunk (renamed) when the client asked for it', () => {
    const r = relay(true);
    const sent = events(r.push(Buffer.from(STREAM)).text);
    expect(sent.at(-1)).toEqual({ ...head, model: 'chat', choices: [], usage: USAGE });
    expect(sent[0]).toHaveProperty('usage', null);
  });

  it('gives the same bytes whatever the chunking (split lines and split UTF-8 characters)', () => {
    const whole = relay();
    const expected = whole.push(Buffer.from(STREAM)).text + whole.end().text;
    const bytes = Buffer.from(STREAM);
    for (const step of [1, 2, 7]) {
      const split = relay();
      let text = '';
      for (let i = 0; i < bytes.length; i += step) text += split.push(bytes.subarray(i, i + step)).text;
      text += split.end().text;
      expect(text).toBe(expected);
      expect(split.usage()).toEqual(whole.usage());
    }
    expect(expected).toContain('café');
  });

  it('hands an upstream error before the commit back, so the attempt can fall back', () => {
    const r = relay();
    r.push(Buffer.from(chunk({ role: 'assistant', content: '' })));
    const out = r.push(
      Buffer.from(`data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`),
    );
    expect(out.text).toBe('');
    expect(out.error?.kind).toBe('PROVIDER_ERROR');
    expect(r.committed).toBe(false);
  });

  it('after the commit an upstream error becomes the OpenAI error event', () => {
    const r = relay();
    r.push(Buffer.from(chunk({ content: 'Hi' })));
    const out = r.push(
      Buffer.from(
        `data: ${JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error' } })}\n\n`,
      ),
    );
    expect(out.error).toBeNull();
    expect(events(out.text)[0]).toMatchObject({ error: { type: 'rate_limit_error' } });
    expect(r.failedAfterCommit?.kind).toBe('PROVIDER_RATE_LIMITED');
  });

  it('a stream cut short ends with an error event and estimates usage from what was forwarded', () => {
    const r = relay();
    r.push(Buffer.from(chunk({ content: 'Hello there, how are you today?' })));
    const end = r.end();
    expect(events(end.text)[0]).toHaveProperty('error');
    expect(r.failedAfterCommit?.message).toContain('ended before the response was complete');
    const usage = r.usage();
    expect(usage.estimated).toBe(true);
    expect(usage.inputTokens).toBe(estimateRequestTokens(request(false)));
    expect(usage.outputTokens).toBeGreaterThan(3);
  });

  it('assembles the answer it forwarded (for logs)', () => {
    const r = relay();
    r.push(Buffer.from(STREAM));
    r.end();
    const response = r.response();
    expect(response.choices[0]?.content).toEqual([{ kind: 'text', text: 'Hello café' }]);
    expect(response.choices[0]?.finish.reason).toBe('stop');
  });
});
