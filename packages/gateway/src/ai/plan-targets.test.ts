import { adapters } from '@hubpo/ai-providers';
import type { PricingConfig } from '@hubpo/snapshot';
import { AITargetState } from './ai-state.js';
import { AITarget } from './ai-target.js';
import { planTargets } from './plan-targets.js';
import { PriceSchedule } from './price-schedule.js';

function target(
  name: string,
  options: {
    weight?: number;
    priority?: number;
    index?: number;
    price?: [number, number];
    latency?: number[];
  } = {},
): AITarget {
  const pricing: PricingConfig[] =
    options.price === undefined
      ? []
      : [
          {
            inputPerMTok: options.price[0],
            outputPerMTok: options.price[1],
            cachedInputPerMTok: options.price[0],
            cacheWritePerMTok: options.price[0],
            effectiveFrom: null,
          },
        ];
  const state = new AITargetState(`m/${name}`, { failureThreshold: 5, coolDownMs: 1000 }, 0.5);
  for (const ms of options.latency ?? []) state.latency.record(ms);
  return new AITarget({
    id: `m/${name}`,
    name,
    provider: 'mock',
    modelName: 'm',
    adapter: adapters.mock,
    config: { provider: 'mock', model: name },
    credentials: { kind: 'none' },
    capabilities: adapters.mock.capabilities,
    weight: options.weight ?? 1,
    priority: options.priority ?? 0,
    index: options.index ?? 0,
    prices: new PriceSchedule(pricing),
    state,
    pools: new Map(),
  });
}

/** A seeded uniform [0, 1) source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const names = (list: readonly AITarget[]): string[] => list.map((t) => t.name);

describe('planTargets', () => {
  it('Fallback: priority order', () => {
    const byPriority = [
      target('a', { priority: 0 }),
      target('b', { priority: 1 }),
      target('c', { priority: 2 }),
    ];
    expect(names(planTargets('Fallback', byPriority, 0, Math.random))).toEqual(['a', 'b', 'c']);
  });

  it('Weighted: first choices follow the weights; weight-0 targets come last, as backups', () => {
    const byPriority = [
      target('a', { weight: 3 }),
      target('b', { weight: 1 }),
      target('backup', { weight: 0 }),
    ];
    const random = seeded(42);
    const first = { a: 0, b: 0, backup: 0 } as Record<string, number>;
    for (let i = 0; i < 20_000; i++) {
      const plan = planTargets('Weighted', byPriority, 0, random);
      first[plan[0]!.name]!++;
      expect(plan).toHaveLength(3);
      expect(plan[2]!.name).toBe('backup');
    }
    expect(first['a']! / 20_000).toBeCloseTo(0.75, 1);
    expect(first['backup']).toBe(0);
  });

  it('LeastLatency: unmeasured first, then the lowest moving average; ties keep priority order', () => {
    const byPriority = [
      target('slow', { latency: [300] }),
      target('fast', { latency: [50] }),
      target('new'),
      target('fast-too', { latency: [50] }),
    ];
    expect(names(planTargets('LeastLatency', byPriority, 0, Math.random))).toEqual([
      'new',
      'fast',
      'fast-too',
      'slow',
    ]);
  });

  it('LowestCost: cheapest input + output price first, unpriced last', () => {
    const byPriority = [
      target('unpriced'),
      target('pricey', { price: [5, 15] }),
      target('cheap', { price: [0.15, 0.6] }),
    ];
    expect(names(planTargets('LowestCost', byPriority, Date.now(), Math.random))).toEqual([
      'cheap',
      'pricey',
      'unpriced',
    ]);
  });
});
