import type { Cost, Usage } from '@hubpo/ai-providers';
import type { HeaderModifier } from '../runtime/header-modifier.js';

/** Response header names of the AI data path (lower case, as node writes them). */
export const AIHeaders = Object.freeze({
  requestId: 'x-request-id',
  model: 'x-hubpo-model',
  target: 'x-hubpo-target',
  provider: 'x-hubpo-provider',
  tokensInput: 'x-hubpo-tokens-input',
  tokensOutput: 'x-hubpo-tokens-output',
  tokensEstimated: 'x-hubpo-tokens-estimated',
  costUsd: 'x-hubpo-cost-usd',
  costUnpriced: 'x-hubpo-cost-unpriced',
  warnings: 'x-hubpo-warnings',
});

export interface AIResponseHeaderInput {
  readonly requestId: string;
  readonly contentType: string;
  /** The AIModel name the client asked for, once known. */
  readonly model: string | null;
  /** The target that answered (or the last one tried), with its provider. */
  readonly target: { readonly name: string; readonly provider: string } | null;
  /** Features dropped from the request (`x-hubpo-warnings`), by capability name. */
  readonly warnings: readonly string[];
  /** Known usage (non-streaming answers); streams send headers before usage exists. */
  readonly usage: Usage | null;
  /** The cost of `usage`; null when usage is unknown. */
  readonly cost: Cost | null;
  /** The target has no price in effect (known before the call, so streams get it too). */
  readonly unpriced: boolean;
  readonly streaming: boolean;
}

/**
 * The response headers of an AI answer as node's flat `[name, value, ...]` list: request id,
 * model, target and provider, tokens and cost when known (non-streaming), the unpriced flag,
 * dropped-feature warnings, then `extra` (rate-limit headers) and the rule's response header
 * modifier last, so configuration can override any of them.
 */
export function aiResponseHeaders(
  input: AIResponseHeaderInput,
  extra: readonly string[] | null,
  modifier: HeaderModifier | null,
): string[] {
  const headers = ['content-type', input.contentType, AIHeaders.requestId, input.requestId];
  if (input.streaming) headers.push('cache-control', 'no-cache', 'x-accel-buffering', 'no');
  else headers.push('cache-control', 'no-store');
  if (input.model !== null) headers.push(AIHeaders.model, headerSafe(input.model));
  if (input.target !== null) {
    headers.push(AIHeaders.target, headerSafe(input.target.name), AIHeaders.provider, input.target.provider);
  }
  if (input.usage !== null) {
    headers.push(
      AIHeaders.tokensInput,
      String(input.usage.inputTokens),
      AIHeaders.tokensOutput,
      String(input.usage.outputTokens),
    );
    if (input.usage.estimated) headers.push(AIHeaders.tokensEstimated, 'true');
  }
  if (input.unpriced) headers.push(AIHeaders.costUnpriced, 'true');
  else if (input.cost !== null && input.cost.priced)
    headers.push(AIHeaders.costUsd, formatUsd(input.cost.costMicroUsd));
  if (input.warnings.length > 0) headers.push(AIHeaders.warnings, input.warnings.join(', '));
  if (extra !== null) for (let i = 0; i < extra.length; i++) headers.push(extra[i]!);
  if (modifier === null) return headers;
  const out: string[] = [];
  let seen = 0;
  for (let i = 0; i < headers.length; i += 2) seen = modifier.apply(headers[i]!, headers[i + 1]!, out, seen);
  modifier.finish(out, seen);
  return out;
}

/** Micro-dollars as a plain decimal USD string (`1.5` µUSD -> `0.0000015`), no exponent. */
export function formatUsd(costMicroUsd: number): string {
  if (!(costMicroUsd > 0)) return '0';
  const fixed = (costMicroUsd / 1e6).toFixed(12);
  // Trailing zeros, then a bare point, go (no regex per request).
  let end = fixed.length;
  while (fixed.charCodeAt(end - 1) === 0x30) end--;
  if (fixed.charCodeAt(end - 1) === 0x2e) end--;
  return fixed.slice(0, end);
}

/** Names come from config (validated DNS-ish names); anything outside visible ASCII is replaced. */
function headerSafe(value: string): string {
  return /^[\x21-\x7e ]*$/.test(value) ? value : value.replace(/[^\x21-\x7e ]/g, '?');
}
