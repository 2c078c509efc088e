import type { Condition } from '@hubpo/api';
import { conditionsOf, mergeConditions, statusDiffers } from './status-merge.js';

const cond = (type: string, status: Condition['status'], extra: Partial<Condition> = {}): Condition => ({
  type,
  status,
  reason: type,
  message: '',
  observedGeneration: 1,
  ...extra,
});

describe('mergeConditions', () => {
  const earlier = '2024-01-01T00:00:00.000Z';
  const now = '2024-06-01T12:00:00.000Z';

  it('keeps lastTransitionTime while the status stays, even when reason and message change', () => {
    const previous = [cond('Accepted', 'True', { lastTransitionTime: earlier })];
    const next = [cond('Accepted', 'True', { reason: 'Other', message: 'changed', observedGeneration: 2 })];
    expect(mergeConditions(previous, next, now)).toEqual([{ ...next[0], lastTransitionTime: earlier }]);
  });

  it('stamps now on a flipped or new condition', () => {
    const previous = [cond('Accepted', 'True', { lastTransitionTime: earlier })];
    const merged = mergeConditions(previous, [cond('Accepted', 'False'), cond('Programmed', 'True')], now);
    expect(merged.map((c) => c.lastTransitionTime)).toEqual([now, now]);
  });

  it('reads conditions defensively from a stored status', () => {
    expect(conditionsOf({ conditions: [cond('A', 'True'), 'junk', null, { type: 1 }] })).toEqual([
      cond('A', 'True'),
    ]);
    expect(conditionsOf({})).toEqual([]);
  });

  it('compares statuses independent of key order', () => {
    expect(statusDiffers({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).toBe(false);
    expect(statusDiffers({ a: 1 }, { a: 2 })).toBe(true);
  });
});
