import { LatencyEwma } from './latency-ewma.js';

describe('LatencyEwma', () => {
  it('is NaN until measured, then the first sample, then a weighted average', () => {
    const ewma = new LatencyEwma(0.5);
    expect(Number.isNaN(ewma.value)).toBe(true);
    ewma.record(100);
    expect(ewma.value).toBe(100);
    ewma.record(200);
    expect(ewma.value).toBe(150);
    ewma.record(50);
    expect(ewma.value).toBe(100);
    expect(ewma.samples).toBe(3);
  });

  it('follows a lasting change within a few samples', () => {
    const ewma = new LatencyEwma(0.3);
    for (let i = 0; i < 20; i++) ewma.record(1000);
    for (let i = 0; i < 10; i++) ewma.record(100);
    expect(ewma.value).toBeLessThan(130);
  });
});
