import { computeCost } from './compute-cost.js';
import { makeUsage } from './internal/usage.js';

describe('computeCost', () => {
  const pricing = {
    inputPerMillion: 3,
    outputPerMillion: 15,
    cachedInputPerMillion: 0.3,
    cacheWritePerMillion: 3.75,
  };

  it('prices uncached input, cache reads, cache writes and output separately (micro-dollars)', () => {
    // 2009 input of which 1800 cache reads and 188 cache writes; 12 output.
    const usage = makeUsage({
      inputTokens: 2009,
      cachedInputTokens: 1800,
      cacheWriteInputTokens: 188,
      outputTokens: 12,
    });
    // 21*3 + 1800*0.3 + 188*3.75 + 12*15 = 63 + 540 + 705 + 180
    expect(computeCost(usage, pricing)).toEqual({ costMicroUsd: 1488, priced: true });
  });

  it('bills reasoning as output unless it has its own price', () => {
    const usage = makeUsage({ inputTokens: 10, outputTokens: 100, reasoningTokens: 80 });
    expect(computeCost(usage, { inputPerMillion: 1, outputPerMillion: 4 }).costMicroUsd).toBe(10 + 400);
    expect(
      computeCost(usage, { inputPerMillion: 1, outputPerMillion: 4, reasoningPerMillion: 2 }).costMicroUsd,
    ).toBe(10 + 20 * 4 + 80 * 2);
  });

  it('charges cached tokens at the input price when no cached price is set', () => {
    const usage = makeUsage({ inputTokens: 100, cachedInputTokens: 60 });
    expect(computeCost(usage, { inputPerMillion: 2, outputPerMillion: 8 }).costMicroUsd).toBe(200);
  });

  it('keeps fractional micro-dollars without float noise', () => {
    expect(
      computeCost(makeUsage({ inputTokens: 7 }), { inputPerMillion: 0.15, outputPerMillion: 0.6 })
        .costMicroUsd,
    ).toBe(1.05);
  });

  it('says unpriced instead of a silent zero', () => {
    expect(computeCost(makeUsage({ inputTokens: 1000, outputTokens: 10 }), undefined)).toEqual({
      costMicroUsd: 0,
      priced: false,
    });
    expect(computeCost(makeUsage({}), null).priced).toBe(false);
  });
});
