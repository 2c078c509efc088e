import { Watchable } from './watchable.js';
import type { WatchBatch } from './watchable.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('Watchable', () => {
  it('gives a new subscriber the current contents, then coalesced changes', async () => {
    const w = new Watchable<string, number>();
    w.set('a', 1);
    const batches: WatchBatch<string, number>[] = [];
    w.subscribe((b) => {
      batches.push(b);
    });
    await tick();
    w.set('a', 2);
    w.set('a', 3);
    w.set('b', 1);
    w.delete('b');
    await tick();
    expect(batches[0]).toEqual({ initial: true, events: [{ kind: 'set', key: 'a', value: 1 }] });
    expect(batches[1]).toEqual({
      initial: false,
      events: [
        { kind: 'set', key: 'a', value: 3 },
        { kind: 'delete', key: 'b' },
      ],
    });
    expect(batches).toHaveLength(2);
  });

  it('does not emit when an equal value is set, and isolates failing subscribers', async () => {
    const errors: unknown[] = [];
    const w = new Watchable<string, { v: number }>({
      equals: (a, b) => a.v === b.v,
      onError: (e) => errors.push(e),
    });
    let calls = 0;
    w.subscribe(() => {
      throw new Error('boom');
    });
    w.subscribe(() => {
      calls += 1;
    });
    w.set('k', { v: 1 });
    await tick();
    w.set('k', { v: 1 });
    await tick();
    expect(calls).toBe(2); // initial + one set
    expect(errors.length).toBeGreaterThanOrEqual(1);
  });

  it('stops delivering after close', async () => {
    const w = new Watchable<string, number>();
    let calls = 0;
    const sub = w.subscribe(() => {
      calls += 1;
    });
    await tick();
    sub.close();
    w.set('x', 1);
    await tick();
    expect(calls).toBe(1);
  });
});
