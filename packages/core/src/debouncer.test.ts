import { Debouncer } from './debouncer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Debouncer', () => {
  it('coalesces a burst into one run after quiet', async () => {
    let runs = 0;
    const d = new Debouncer({ quietMs: 20, maxWaitMs: 1000, action: async () => void (runs += 1) });
    for (let i = 0; i < 10; i++) d.trigger();
    await sleep(60);
    expect(runs).toBe(1);
    await d.stop();
  });

  it('fires by maxWait during a continuous burst', async () => {
    let runs = 0;
    const d = new Debouncer({ quietMs: 30, maxWaitMs: 60, action: async () => void (runs += 1) });
    const end = Date.now() + 150;
    while (Date.now() < end) {
      d.trigger();
      await sleep(5);
    }
    expect(runs).toBeGreaterThanOrEqual(2);
    await d.stop();
  });

  it('runs once more when triggered during a run, never concurrently', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const d = new Debouncer({
      quietMs: 1,
      maxWaitMs: 10,
      action: async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(20);
        runs += 1;
        active -= 1;
      },
    });
    d.trigger();
    await sleep(5);
    d.trigger();
    d.trigger();
    await sleep(80);
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
    await d.stop();
  });

  it('reports action errors and keeps working', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const d = new Debouncer({
      quietMs: 1,
      maxWaitMs: 5,
      onError: (e) => errors.push(e),
      action: async () => {
        runs += 1;
        if (runs === 1) throw new Error('first fails');
      },
    });
    await d.flush();
    await d.flush();
    expect(errors).toHaveLength(1);
    expect(runs).toBe(2);
  });
});
