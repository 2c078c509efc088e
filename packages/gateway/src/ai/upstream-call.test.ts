import type { Dispatcher } from 'undici';
import { UpstreamCall } from './upstream-call.js';

/** A dispatcher that only records the handler, so the test drives undici's callbacks itself. */
function fakeDispatcher(): { dispatcher: Dispatcher; handler: () => Dispatcher.DispatchHandler } {
  let handler: Dispatcher.DispatchHandler | null = null;
  const dispatcher = {
    dispatch(_options: Dispatcher.DispatchOptions, h: Dispatcher.DispatchHandler): boolean {
      handler = h;
      return true;
    },
  } as unknown as Dispatcher;
  return { dispatcher, handler: () => handler! };
}

const OPTIONS = { path: '/v1/chat/completions', method: 'POST', headers: {}, body: '{}' } as const;
const raw = (pairs: string[]): Buffer[] => pairs.map((p) => Buffer.from(p));

describe('UpstreamCall', () => {
  it('resolves at the head (after 1xx), parses headers on demand and collects the body', async () => {
    const { dispatcher, handler } = fakeDispatcher();
    const call = new UpstreamCall();
    const head = call.start(dispatcher, OPTIONS);
    const h = handler();
    h.onConnect!(() => undefined);
    h.onHeaders!(100, [], () => undefined, 'Continue');
    h.onHeaders!(
      200,
      raw(['Content-Type', 'application/json', 'Set-Cookie', 'a', 'set-cookie', 'b']),
      () => undefined,
      'OK',
    );
    const response = await head;
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'application/json', 'set-cookie': ['a', 'b'] });
    const body = response.body.bytes();
    h.onData!(Buffer.from('{"a":'));
    h.onData!(Buffer.from('1}'));
    h.onComplete!([]);
    expect((await body).toString()).toBe('{"a":1}');
  });

  it('hands chunks over one at a time, pausing undici while the consumer is busy', async () => {
    const { dispatcher, handler } = fakeDispatcher();
    const call = new UpstreamCall();
    const head = call.start(dispatcher, OPTIONS);
    const h = handler();
    let resumed = 0;
    h.onConnect!(() => undefined);
    h.onHeaders!(200, [], () => resumed++, 'OK');
    const iterator = (await head).body[Symbol.asyncIterator]();
    expect(h.onData!(Buffer.from('a'))).toBe(false); // nobody is reading: pause
    const first = await iterator.next();
    expect(first.value?.toString()).toBe('a');
    expect(resumed).toBe(0);
    const second = iterator.next(); // now waiting: the reader asks, undici resumes
    expect(resumed).toBe(1);
    expect(h.onData!(Buffer.from('b'))).toBe(true);
    expect((await second).value?.toString()).toBe('b');
    const end = iterator.next();
    h.onComplete!([]);
    expect(await end).toEqual({ done: true, value: undefined });
  });

  it('an abort before the connection is applied when undici connects; after it, at once', async () => {
    const { dispatcher, handler } = fakeDispatcher();
    const early = new UpstreamCall();
    const headEarly = early.start(dispatcher, OPTIONS);
    const reason = new Error('client gone');
    early.abort(reason);
    const aborts: (Error | undefined)[] = [];
    handler().onConnect!((error) => {
      aborts.push(error);
      handler().onError!(error!);
    });
    await expect(headEarly).rejects.toBe(reason);
    expect(aborts).toEqual([reason]);

    const late = new UpstreamCall();
    const headLate = late.start(dispatcher, OPTIONS);
    handler().onConnect!((error) => handler().onError!(error!));
    handler().onHeaders!(200, [], () => undefined, 'OK');
    const iterator = (await headLate).body[Symbol.asyncIterator]();
    const pending = iterator.next();
    late.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('leaving the iteration early aborts an unfinished call; aborting a finished one does nothing', async () => {
    const { dispatcher, handler } = fakeDispatcher();
    const call = new UpstreamCall();
    const head = call.start(dispatcher, OPTIONS);
    const aborted: (Error | undefined)[] = [];
    handler().onConnect!((error) => aborted.push(error));
    handler().onHeaders!(200, [], () => undefined, 'OK');
    const body = (await head).body;
    handler().onData!(Buffer.from('x'));
    for await (const chunk of body) {
      expect(chunk.toString()).toBe('x');
      break;
    }
    expect(aborted).toHaveLength(1);
    handler().onComplete!([]);
    call.abort(new Error('too late'));
    expect(aborted).toHaveLength(1);
  });
});
