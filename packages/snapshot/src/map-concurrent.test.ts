import { mapConcurrent } from './map-concurrent.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('mapConcurrent', () => {
  it('runs every item with at most `limit` in flight', async () => {
    let active = 0;
    let maxActive = 0;
    const seen: number[] = [];
    await mapConcurrent([...Array(50).keys()], 7, async (i) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await tick();
      seen.push(i);
      active -= 1;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
    expect(maxActive).toBe(7);
  });

  it('stops starting work after a failure and throws it once in-flight calls are done', async () => {
    let started = 0;
    let finished = 0;
    const run = mapConcurrent([...Array(100).keys()], 4, async (i) => {
      started += 1;
      await tick();
      if (i === 5) throw new Error('item 5 failed');
      finished += 1;
    });
    await expect(run).rejects.toThrow('item 5 failed');
    expect(started).toBeLessThan(20);
    expect(finished).toBe(started - 1);
  });

  it('handles an empty list', async () => {
    await expect(mapConcurrent([], 10, async () => undefined)).resolves.toBeUndefined();
  });
});
