import { TerminalError, WorkQueue } from './work-queue.js';
import type { WorkQueueOptions } from './work-queue.js';

const until = async (check: () => boolean, what: string, ms = 2000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

function queue(handler: (key: string) => Promise<void>, options: Partial<WorkQueueOptions> = {}): WorkQueue {
  return new WorkQueue({
    name: 'test',
    handler,
    concurrency: 4,
    backoffInitialMs: 10,
    backoffMaxMs: 40,
    ratePerSecond: 10_000,
    burst: 10_000,
    ...options,
  });
}

describe('WorkQueue', () => {
  it('runs a key added many times while queued once', async () => {
    const calls: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const q = queue(
      async (key) => {
        calls.push(key);
        if (key === 'block') await gate;
      },
      { concurrency: 1 },
    );
    q.add('block');
    for (let i = 0; i < 5; i++) q.add('a');
    release();
    await q.idle();
    expect(calls).toEqual(['block', 'a']);
    await q.stop();
  });

  it('never runs one key twice at once, and runs it again when added while running', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const q = queue(async () => {
      running += 1;
      runs += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 20));
      running -= 1;
    });
    q.add('k');
    await until(() => runs === 1, 'first run');
    q.add('k');
    q.add('k');
    await until(() => runs === 2, 'second run');
    await q.idle();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
    await q.stop();
  });

  it('retries failures with growing backoff up to the maximum, and forgets it after a success', async () => {
    const at: number[] = [];
    const retries: number[] = [];
    const q = queue(
      async () => {
        at.push(Date.now());
        if (at.length < 5) throw new Error('transient');
      },
      { onError: (_k, _e, retryMs) => retries.push(retryMs ?? -1) },
    );
    q.add('k');
    await until(() => at.length === 5, 'five attempts');
    expect(retries).toHaveLength(4);
    // 10, 20, 40, 40 ms steps, each jittered to [50%, 100%].
    [10, 20, 40, 40].forEach((step, i) => {
      expect(retries[i]).toBeGreaterThanOrEqual(step / 2);
      expect(retries[i]).toBeLessThanOrEqual(step);
    });
    await q.stop();
  });

  it('does not retry a terminal error until the key is added again', async () => {
    let runs = 0;
    const q = queue(async () => {
      runs += 1;
      throw new TerminalError('invalid');
    });
    q.add('k');
    await q.idle();
    await new Promise((r) => setTimeout(r, 60));
    expect(runs).toBe(1);
    q.add('k');
    await until(() => runs === 2, 'second run after a change');
    await q.stop();
  });

  it('limits the rate of handler calls', async () => {
    let runs = 0;
    const q = queue(async () => void (runs += 1), { ratePerSecond: 50, burst: 2 });
    const started = Date.now();
    for (let i = 0; i < 6; i++) q.add(`k${i}`);
    await until(() => runs === 6, 'six runs');
    // 2 from the burst, then 4 more at 50/s: at least ~80 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    await q.stop();
  });

  it('stops taking work and drops pending retries', async () => {
    let runs = 0;
    const q = queue(async () => {
      runs += 1;
      throw new Error('fails');
    });
    q.add('k');
    await until(() => runs === 1, 'first run');
    await q.stop();
    q.add('k');
    await new Promise((r) => setTimeout(r, 60));
    expect(runs).toBe(1);
  });
});
