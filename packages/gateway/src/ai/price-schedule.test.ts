import type { PricingConfig } from '@hubpo/snapshot';
import { PriceSchedule } from './price-schedule.js';

function price(input: number, output: number, effectiveFrom: string | null): PricingConfig {
  return {
    inputPerMTok: input,
    outputPerMTok: output,
    cachedInputPerMTok: input / 2,
    cacheWritePerMTok: input,
    effectiveFrom,
  };
}

describe('PriceSchedule', () => {
  const jan = Date.parse('2026-01-01T00:00:00Z');
  const feb = Date.parse('2026-02-01T00:00:00Z');

  it('is unpriced without entries', () => {
    const schedule = new PriceSchedule([]);
    expect(schedule.priced).toBe(false);
    expect(schedule.at(jan)).toBeNull();
    expect(schedule.blendedPerMillion(jan)).toBe(Number.POSITIVE_INFINITY);
  });

  it('uses the latest entry already in effect, moving forward and backward in time', () => {
    const schedule = new PriceSchedule([
      price(1, 2, null),
      price(3, 4, '2026-01-01T00:00:00.000Z'),
      price(5, 6, '2026-02-01T00:00:00.000Z'),
    ]);
    expect(schedule.at(jan - 1)).toMatchObject({ inputPerMillion: 1, outputPerMillion: 2 });
    expect(schedule.at(jan)).toMatchObject({
      inputPerMillion: 3,
      outputPerMillion: 4,
      cachedInputPerMillion: 1.5,
    });
    expect(schedule.at(feb + 10)).toMatchObject({ inputPerMillion: 5 });
    expect(schedule.at(jan + 5)).toMatchObject({ inputPerMillion: 3 });
    expect(schedule.blendedPerMillion(feb)).toBe(11);
  });

  it('is unpriced before its first dated entry', () => {
    const schedule = new PriceSchedule([price(3, 4, '2026-01-01T00:00:00.000Z')]);
    expect(schedule.at(jan - 1)).toBeNull();
    expect(schedule.at(jan)).not.toBeNull();
  });
});
