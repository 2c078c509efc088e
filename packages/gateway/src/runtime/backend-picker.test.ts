import { BackendHealth } from './backend-health.js';
import { BackendTarget } from './backend-target.js';
import { LeastRequestPicker } from './least-request-picker.js';
import { RandomPicker } from './random-picker.js';
import { RoundRobinPicker } from './round-robin-picker.js';
import type { UpstreamPool } from './upstream-pool.js';

/** Deterministic uniform [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pool = {} as UpstreamPool;
const target = (id: string, weight: number): BackendTarget =>
  new BackendTarget(id, weight, `http://${id}`, '', new BackendHealth(id), pool);
const now = (): number => 1000;

function counts(pick: () => BackendTarget, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const id = pick().id;
    out[id] = (out[id] ?? 0) + 1;
  }
  return out;
}

describe('RoundRobinPicker (smooth weighted)', () => {
  it('interleaves by weight: 5:1:1 gives a a b a c a a', () => {
    const targets = [target('a', 5), target('b', 1), target('c', 1)];
    const picker = new RoundRobinPicker(targets, new Float64Array(3));
    const sequence = Array.from({ length: 7 }, () => picker.pick(now, null).id).join(' ');
    expect(sequence).toBe('a a b a c a a');
  });

  it('serves exact weight shares over a cycle', () => {
    const picker = new RoundRobinPicker(
      [target('a', 3), target('b', 2), target('c', 0)],
      new Float64Array(3),
    );
    expect(counts(() => picker.pick(now, null), 500)).toEqual({ a: 300, b: 200 });
  });

  it('skips ejected backends and takes them back when the ejection ends', () => {
    const targets = [target('a', 1), target('b', 1)];
    targets[0]!.health.ejectedUntil = 5000;
    let t = 1000;
    const picker = new RoundRobinPicker(targets, new Float64Array(2));
    expect(counts(() => picker.pick(() => t, null), 10)).toEqual({ b: 10 });
    t = 5000;
    expect(counts(() => picker.pick(() => t, null), 10)).toEqual({ a: 5, b: 5 });
  });

  it('uses every backend when all are ejected (panic mode)', () => {
    const targets = [target('a', 1), target('b', 1)];
    for (const t of targets) t.health.ejectedUntil = 5000;
    const picker = new RoundRobinPicker(targets, new Float64Array(2));
    expect(counts(() => picker.pick(now, null), 10)).toEqual({ a: 5, b: 5 });
  });

  it('avoids the excluded backend when another can serve, not otherwise', () => {
    const targets = [target('a', 1), target('b', 1)];
    const picker = new RoundRobinPicker(targets, new Float64Array(2));
    expect(counts(() => picker.pick(now, targets[0]!), 6)).toEqual({ b: 6 });
    const single = new RoundRobinPicker([targets[0]!], new Float64Array(1));
    expect(single.pick(now, targets[0]!).id).toBe('a');
    targets[1]!.health.ejectedUntil = 5000;
    // b is ejected and a excluded: panic mode still prefers the non-excluded one.
    expect(picker.pick(now, targets[0]!).id).toBe('b');
  });

  it('continues its sequence from carried scores', () => {
    const scores = new Float64Array(2);
    const first = new RoundRobinPicker([target('a', 2), target('b', 1)], scores);
    expect(first.pick(now, null).id).toBe('a');
    const second = new RoundRobinPicker([target('a', 2), target('b', 1)], scores);
    expect([second.pick(now, null).id, second.pick(now, null).id]).toEqual(['b', 'a']);
  });
});

describe('RandomPicker (weighted)', () => {
  it('draws each backend with probability weight / total', () => {
    const picker = new RandomPicker([target('a', 1), target('b', 3), target('c', 0)], seeded(7));
    const result = counts(() => picker.pick(now, null), 40_000);
    expect(result.c).toBeUndefined();
    expect(result.a! / 40_000).toBeCloseTo(0.25, 1);
    expect(result.b! / 40_000).toBeCloseTo(0.75, 1);
  });

  it('never draws an ejected backend while another is in service', () => {
    const targets = [target('a', 1), target('b', 1)];
    targets[1]!.health.ejectedUntil = 9999;
    const picker = new RandomPicker(targets, seeded(1));
    expect(counts(() => picker.pick(now, null), 1000)).toEqual({ a: 1000 });
  });
});

describe('LeastRequestPicker (power of two choices, weighted)', () => {
  it('sends the next request to the backend with fewer in flight', () => {
    const targets = [target('a', 1), target('b', 1)];
    targets[0]!.health.inflight = 10;
    const picker = new LeastRequestPicker(targets, seeded(3));
    expect(counts(() => picker.pick(now, null), 100)).toEqual({ b: 100 });
  });

  it('compares load per unit of weight', () => {
    const targets = [target('heavy', 4), target('light', 1)];
    targets[0]!.health.inflight = 3; // (3 + 1) / 4 = 1
    targets[1]!.health.inflight = 1; // (1 + 1) / 1 = 2
    const picker = new LeastRequestPicker(targets, seeded(5));
    expect(counts(() => picker.pick(now, null), 100)).toEqual({ heavy: 100 });
  });

  it('spreads load evenly when every backend is equally busy', () => {
    const targets = [target('a', 1), target('b', 1), target('c', 1)];
    const picker = new LeastRequestPicker(targets, seeded(11));
    const result = counts(() => {
      const picked = picker.pick(now, null);
      return picked;
    }, 30_000);
    for (const id of ['a', 'b', 'c']) expect(result[id]! / 30_000).toBeCloseTo(1 / 3, 1);
  });
});

describe('BackendHealth', () => {
  it('ejects after consecutive failures, and a success resets the count', () => {
    const health = new BackendHealth('a');
    expect(health.recordFailure(0, 3, 1000)).toBe(false);
    expect(health.recordFailure(0, 3, 1000)).toBe(false);
    health.recordSuccess();
    expect(health.recordFailure(0, 3, 1000)).toBe(false);
    expect(health.recordFailure(0, 3, 1000)).toBe(false);
    expect(health.recordFailure(10, 3, 1000)).toBe(true);
    expect(health.isEjected(500)).toBe(true);
    expect(health.isEjected(1010)).toBe(false);
    expect(health.ejectedUntil).toBe(0);
  });
});
