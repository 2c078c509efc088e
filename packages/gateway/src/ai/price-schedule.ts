import type { Pricing } from '@hubpo/ai-providers';
import type { PricingConfig } from '@hubpo/snapshot';

interface Entry {
  /** Epoch ms from which the price applies (-Infinity: always). */
  readonly from: number;
  readonly pricing: Pricing;
}

/**
 * The prices of one target over time (`AITargetConfig.pricing`, sorted by `effectiveFrom`),
 * compiled: `at(now)` is the latest entry already in effect, found with a cached position (one
 * comparison per request until the next price starts). No entry in effect means unpriced: cost
 * is then unknown and flagged, never $0.
 */
export class PriceSchedule {
  readonly #entries: readonly Entry[];
  #index = -1;
  /** Epoch ms at which `#index` may change (the next entry's start). */
  #validUntil = Number.NEGATIVE_INFINITY;
  #validFrom = Number.POSITIVE_INFINITY;

  constructor(configs: readonly PricingConfig[]) {
    this.#entries = configs
      .map((c) => ({
        from: c.effectiveFrom === null ? Number.NEGATIVE_INFINITY : Date.parse(c.effectiveFrom),
        pricing: Object.freeze({
          inputPerMillion: c.inputPerMTok,
          outputPerMillion: c.outputPerMTok,
          cachedInputPerMillion: c.cachedInputPerMTok,
          cacheWritePerMillion: c.cacheWritePerMTok,
        }),
      }))
      .filter((e) => !Number.isNaN(e.from))
      .sort((a, b) => a.from - b.from);
  }

  get priced(): boolean {
    return this.#entries.length > 0;
  }

  /** The pricing in effect at `now` (epoch ms), or null when none is. */
  at(now: number): Pricing | null {
    if (now < this.#validFrom || now >= this.#validUntil) this.#locate(now);
    return this.#index < 0 ? null : this.#entries[this.#index]!.pricing;
  }

  /**
   * Input plus output price per 1M tokens at `now`, the LowestCost strategy's key (Infinity when
   * unpriced, so unpriced targets come last).
   */
  blendedPerMillion(now: number): number {
    const pricing = this.at(now);
    return pricing === null ? Number.POSITIVE_INFINITY : pricing.inputPerMillion + pricing.outputPerMillion;
  }

  #locate(now: number): void {
    const entries = this.#entries;
    let index = -1;
    while (index + 1 < entries.length && entries[index + 1]!.from <= now) index++;
    this.#index = index;
    this.#validFrom = index < 0 ? Number.NEGATIVE_INFINITY : entries[index]!.from;
    this.#validUntil = index + 1 < entries.length ? entries[index + 1]!.from : Number.POSITIVE_INFINITY;
  }
}
