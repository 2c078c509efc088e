import type { Usage } from './internal/usage.js';
import { uncachedInputTokens } from './internal/usage.js';

/**
 * Prices of one model in US dollars per 1,000,000 tokens (the unit every provider publishes).
 * Optional prices fall back: cached input and cache writes to the input price, reasoning to the
 * output price.
 */
export interface Pricing {
  readonly inputPerMillion: number;
  readonly outputPerMillion: number;
  readonly cachedInputPerMillion?: number;
  readonly cacheWritePerMillion?: number;
  readonly reasoningPerMillion?: number;
}

export interface Cost {
  /** Cost in micro-dollars (1e-6 USD). Fractional; rounded to 1e-6 µUSD to drop float noise. */
  readonly costMicroUsd: number;
  /** False when the model has no pricing: the cost is then unknown, not zero. */
  readonly priced: boolean;
}

/**
 * Cost of a call from its usage (ADR 0003 usage convention). Because prices are per million
 * tokens, tokens × price-per-million is exactly the cost in micro-dollars.
 */
export function computeCost(usage: Usage, pricing: Pricing | undefined | null): Cost {
  if (pricing === undefined || pricing === null) return { costMicroUsd: 0, priced: false };
  const reasoning = Math.min(usage.reasoningTokens, usage.outputTokens);
  const micro =
    uncachedInputTokens(usage) * pricing.inputPerMillion +
    usage.cachedInputTokens * (pricing.cachedInputPerMillion ?? pricing.inputPerMillion) +
    usage.cacheWriteInputTokens * (pricing.cacheWritePerMillion ?? pricing.inputPerMillion) +
    (usage.outputTokens - reasoning) * pricing.outputPerMillion +
    reasoning * (pricing.reasoningPerMillion ?? pricing.outputPerMillion);
  return { costMicroUsd: Math.round(micro * 1e6) / 1e6, priced: true };
}
