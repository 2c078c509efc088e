import { parseDuration } from '@hubpo/api';
import type { AIModel, AIModelTarget, Pricing } from '@hubpo/api';
import type { AIStrategy, AITargetConfig, PricingConfig } from '@hubpo/snapshot';
import type { IrAIModel } from './ir.js';
import { oneOf } from './one-of.js';
import { parseBaseUrl } from './parse-base-url.js';
import { Reasons } from './reasons.js';
import type { StatusBuilder } from './status-builder.js';
import type { TranslationContext } from './translation-context.js';

/** AIModel defaults (also in the README). */
export const AI_MODEL_DEFAULTS = Object.freeze({
  strategy: 'Fallback' as AIStrategy,
  retryAttempts: 2,
  retryBackoffMs: 200,
  requestMs: 60_000,
  firstTokenMs: 30_000,
  unsupportedFields: 'Reject' as const,
  weight: 1,
  priority: 0,
});

const STRATEGIES: readonly AIStrategy[] = ['Fallback', 'Weighted', 'LeastLatency', 'LowestCost'];

/** Key of a target's sealed credential in `TranslateInput.credentials`. */
export function credentialKey(namespace: string, name: string, targetIndex: number): string {
  return `${namespace}/${name}/${targetIndex}`;
}

/**
 * An AIModel in IR form, or null when rejected. Name conflicts between AIModels are settled
 * afterwards, across the cluster (`buildIr`). A target whose credential is unavailable is left
 * out (ResolvedRefs=False), so fallback goes straight to the next target instead of calling a
 * provider without credentials; a model left with no target still serves (and fails with "no
 * available target" rather than "model not found").
 */
export function aiModelToIr(
  model: AIModel,
  status: StatusBuilder,
  ctx: TranslationContext,
): IrAIModel | null {
  const targets: AITargetConfig[] = [];
  model.spec.targets.forEach((target, i) => {
    const config = targetToConfig(target, i, status, ctx);
    if (config !== null) targets.push(config);
  });
  if (!status.accepted) return null;
  const { retry, timeouts, limits } = model.spec;
  const requestMs = parseDuration(timeouts?.request, AI_MODEL_DEFAULTS.requestMs);
  const firstTokenDefault =
    requestMs > 0 ? Math.min(AI_MODEL_DEFAULTS.firstTokenMs, requestMs) : AI_MODEL_DEFAULTS.firstTokenMs;
  return {
    kind: 'AIModel',
    meta: status.meta,
    modelName: status.meta.name,
    strategy: oneOf(model.spec.strategy ?? AI_MODEL_DEFAULTS.strategy, STRATEGIES, 'spec.strategy'),
    targets,
    retry: {
      attempts: retry?.attempts ?? AI_MODEL_DEFAULTS.retryAttempts,
      backoffMs: parseDuration(retry?.backoff, AI_MODEL_DEFAULTS.retryBackoffMs),
    },
    timeouts: { requestMs, firstTokenMs: parseDuration(timeouts?.firstToken, firstTokenDefault) },
    limits: {
      contextWindow: limits?.contextWindow ?? null,
      maxOutputTokens: limits?.maxOutputTokens ?? null,
    },
    unsupportedFields: model.spec.unsupportedFields ?? AI_MODEL_DEFAULTS.unsupportedFields,
  };
}

function targetToConfig(
  target: AIModelTarget,
  index: number,
  status: StatusBuilder,
  ctx: TranslationContext,
): AITargetConfig | null {
  const at = `spec.targets[${index}]`;
  const name = target.name ?? `${target.provider}/${target.model}`;
  let endpoint: string | null = null;
  if (target.endpoint !== undefined) {
    const parsed = parseBaseUrl(target.endpoint, false);
    if (!parsed.ok) {
      status.reject(Reasons.InvalidEndpoint, `${at}.endpoint: ${parsed.error}`);
      return null;
    }
    endpoint = parsed.url;
  }
  let credential: string | null = null;
  const ref = target.credentialsRef;
  if (ref !== undefined) {
    const { namespace, name: modelName } = status.meta;
    const sealed = ctx.credentials.get(credentialKey(namespace, modelName, index));
    if (sealed === undefined) {
      const secret = `${ref.namespace ?? namespace}/${ref.name}`;
      status.unresolved(
        Reasons.SecretNotFound,
        `${at}.credentialsRef: key "${ref.key}" of Secret ${secret} is not available, so target "${name}" is left out`,
      );
      return null;
    }
    credential = sealed;
  }
  return {
    name,
    provider: target.provider,
    model: target.model,
    endpoint,
    region: target.region ?? null,
    apiVersion: target.apiVersion ?? null,
    weight: target.weight ?? AI_MODEL_DEFAULTS.weight,
    priority: target.priority ?? AI_MODEL_DEFAULTS.priority,
    pricing: pricingToConfig(target.pricing ?? []),
    credential,
  };
}

/**
 * Prices in effect order: the entry without `effectiveFrom` ("always") first, then by instant.
 * Of two entries for the same instant the one listed last wins, as a later line in a price list
 * corrects an earlier one. Cached and cache-write prices default to the input price.
 */
export function pricingToConfig(pricing: readonly Pricing[]): PricingConfig[] {
  const byInstant = new Map<number, Pricing>();
  for (const p of pricing) {
    byInstant.set(p.effectiveFrom === undefined ? Number.NEGATIVE_INFINITY : Date.parse(p.effectiveFrom), p);
  }
  return [...byInstant]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([instant, p]) => ({
      inputPerMTok: p.inputPerMTok,
      outputPerMTok: p.outputPerMTok,
      cachedInputPerMTok: p.cachedInputPerMTok ?? p.inputPerMTok,
      cacheWritePerMTok: p.cacheWritePerMTok ?? p.inputPerMTok,
      effectiveFrom: instant === Number.NEGATIVE_INFINITY ? null : new Date(instant).toISOString(),
    }));
}
