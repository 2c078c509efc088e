import { refusedUrl, startMockProvider } from '@hubpo/testkit';
import type { MockProviderServer } from '@hubpo/testkit';
import { chatRequest, stream } from './adapter-client.js';

const chatBody = (content: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ model: 'gpt-x', messages: [{ role: 'user', content }], ...extra });

/** Reads a streamed body; resolves with the chunks read once `idleMs` pass without a new one. */
async function readUntilIdle(res: Response, idleMs: number): Promise<{ chunks: string[]; ended: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const chunks: string[] = [];
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), idleMs)));
    const next = await Promise.race([reader.read(), idle]);
    clearTimeout(timer);
    if (next === 'idle') {
      await reader.cancel().catch(() => undefined);
      return { chunks, ended: false };
    }
    if (next.done) return { chunks, ended: true };
    chunks.push(decoder.decode(next.value));
  }
}

describe('mock provider faults', () => {
  let server: MockProviderServer;
  beforeAll(async () => (server = await startMockProvider('openai')));
  afterEach(() => server.reset());
  afterAll(() => server.stop());

  const post = (body: string, signal?: AbortSignal): Promise<Response> =>
    fetch(`${server.endpoint}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      ...(signal === undefined ? {} : { signal }),
    });

  it('hang(): accepts requests and never answers, until reset()', async () => {
    server.hang();
    const err = await post(chatBody('hello'), AbortSignal.timeout(300)).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TimeoutError');
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]!.status).toBeUndefined();
    expect(server.calls[0]!.body).toMatchObject({ model: 'gpt-x' });
    server.reset();
    const ok = await post(chatBody('hello'));
    expect(ok.status).toBe(200);
  });

  it('hang({ afterChunks }): a stream stops after that many chunks and stays open', async () => {
    server.hang({ afterChunks: 2 });
    const res = await post(chatBody('one two three four', { stream: true }));
    expect(res.status).toBe(200);
    const read = await readUntilIdle(res, 300);
    expect(read.ended).toBe(false);
    expect(read.chunks.join('')).toContain('"role":"assistant"');
    expect(read.chunks.join('')).not.toContain('[DONE]');
    expect(server.usage[0]).toMatchObject({ stream: true, completed: false });
  });

  it('slowStream(ms): waits between chunks, each chunk arriving on its own', async () => {
    server.slowStream(40);
    const started = Date.now();
    const res = await post(chatBody('a b c d', { stream: true }));
    const read = await readUntilIdle(res, 2000);
    const elapsed = Date.now() - started;
    expect(read.ended).toBe(true);
    // role chunk, 4 pieces, finish chunk, [DONE]: 7 writes, 40 ms apart.
    expect(read.chunks).toHaveLength(7);
    expect(elapsed).toBeGreaterThanOrEqual(6 * 40);
  });

  it('cutStream(n): destroys the connection mid-stream; the adapter reports a truncated stream', async () => {
    server.cutStream(3);
    const result = await stream(
      server,
      chatRequest({ messages: [{ role: 'user', content: 'one two three four five' }] }),
    );
    expect(result.events.at(-1)?.kind).toBe('error');
    expect(result.response).toBeUndefined();
    expect(server.usage[0]).toMatchObject({ completed: false });
  });

  it('records a stream the client abandoned as not completed', async () => {
    server.slowStream(30);
    const controller = new AbortController();
    const res = await post(chatBody('many words to stream slowly here', { stream: true }), controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.usage[0]).toMatchObject({ stream: true, completed: false });
    expect(server.calls[0]!.status).toBe(200);
  });

  it('failNext: queued faults apply in order, with custom bodies and headers', async () => {
    server.failNext(2, { status: 500 });
    server.failNext(1, { status: 400, body: 'plain text', headers: { 'x-fault': 'yes' } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await post(chatBody('hi'));
      statuses.push(res.status);
      if (res.status === 400) {
        expect(await res.text()).toBe('plain text');
        expect(res.headers.get('x-fault')).toBe('yes');
      } else {
        await res.arrayBuffer();
      }
    }
    expect(statuses).toEqual([500, 500, 400, 200]);
  });

  it('refusedUrl(): nobody listens there', async () => {
    const url = await refusedUrl();
    const err = await fetch(`${url}/v1/chat/completions`).catch((e: unknown) => e);
    expect(((err as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('stop() closes hung connections too', async () => {
    const other = await startMockProvider('anthropic');
    other.hang();
    const pending = fetch(`${other.url}/v1/messages`, { method: 'POST', body: '{}' }).catch(
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await other.stop();
    // undici's error comes from another realm than jest's `Error`: check its shape.
    expect(await pending).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});
