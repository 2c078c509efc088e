/**
 * Token usage of one call, in Hubpo's single convention (ADR 0003):
 *
 * - `inputTokens` is ALL prompt tokens the provider processed, INCLUDING tokens read from the
 *   prompt cache and tokens written to it (the OpenAI convention).
 * - `cachedInputTokens` and `cacheWriteInputTokens` are subsets of `inputTokens`.
 * - `outputTokens` is ALL generated tokens, INCLUDING reasoning tokens (the OpenAI convention).
 * - `reasoningTokens` is a subset of `outputTokens`.
 * - `estimated` is true when any count was computed locally (tokenizer) because the provider
 *   reported none.
 *
 * So uncached, non-written input is `inputTokens - cachedInputTokens - cacheWriteInputTokens` and
 * visible output is `outputTokens - reasoningTokens`. Every adapter converts to this; renderers
 * convert back (Anthropic's `input_tokens` excludes cache reads and writes).
 */
export interface Usage {
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly cacheWriteInputTokens: number;
  readonly reasoningTokens: number;
  readonly outputTokens: number;
  readonly estimated: boolean;
}

export const ZERO_USAGE: Usage = Object.freeze({
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteInputTokens: 0,
  reasoningTokens: 0,
  outputTokens: 0,
  estimated: false,
});

/** Builds a Usage from possibly-missing counts (non-finite or negative values count as 0). */
export function makeUsage(parts: { readonly [K in keyof Usage]?: Usage[K] | undefined }): Usage {
  return {
    inputTokens: count(parts.inputTokens),
    cachedInputTokens: count(parts.cachedInputTokens),
    cacheWriteInputTokens: count(parts.cacheWriteInputTokens),
    reasoningTokens: count(parts.reasoningTokens),
    outputTokens: count(parts.outputTokens),
    estimated: parts.estimated ?? false,
  };
}

export function totalTokens(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens;
}

/** Input tokens billed at the plain input rate (neither read from nor written to the cache). */
export function uncachedInputTokens(usage: Usage): number {
  return Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteInputTokens);
}

function count(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
