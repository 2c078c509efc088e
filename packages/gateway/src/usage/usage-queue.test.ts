import { UsageQueue } from './usage-queue.js';

describe('UsageQueue', () => {
  it('is first in, first out across the ring boundary', () => {
    const q = new UsageQueue<number>(3);
    q.push(1);
    q.push(2);
    expect(q.shift()).toBe(1);
    q.push(3);
    q.push(4);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([2, 3, 4, undefined]);
    expect(q.size).toBe(0);
  });

  it('evicts and returns the oldest item when full', () => {
    const q = new UsageQueue<string>(2);
    expect(q.push('a')).toBeUndefined();
    expect(q.push('b')).toBeUndefined();
    expect(q.push('c')).toBe('a');
    expect(q.size).toBe(2);
    expect([q.shift(), q.shift()]).toEqual(['b', 'c']);
  });

  it('puts a failed item back in front, or refuses it when full', () => {
    const q = new UsageQueue<string>(2);
    q.push('b');
    expect(q.unshift('a')).toBeUndefined();
    expect(q.unshift('z')).toBe('z');
    expect([q.shift(), q.shift()]).toEqual(['a', 'b']);
  });

  it('rejects a capacity below one', () => {
    expect(() => new UsageQueue(0)).toThrow(RangeError);
  });
});
