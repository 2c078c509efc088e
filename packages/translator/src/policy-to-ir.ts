import type { Policy, PolicyTargetRef, RateLimit } from '@hubpo/api';
import type { PolicyTarget, PolicyTargetKind, RateLimitConfig } from '@hubpo/snapshot';
import { assertNever } from '@hubpo/core';
import { aiCredentialsToConfig, aiLoggingToConfig } from './ai-policy-to-config.js';
import { compareStrings } from './compare.js';
import type { IrPolicy } from './ir.js';
import { Reasons } from './reasons.js';
import type { StatusBuilder } from './status-builder.js';
import type { TranslationContext } from './translation-context.js';

const WINDOW_MS: Readonly<Record<RateLimit['per'], number>> = Object.freeze({
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
});

/**
 * A Policy in IR form, or null when rejected (an AI logging pattern that does not compile or may
 * backtrack catastrophically). It attaches to the targets that are accepted in the cluster; the
 * others are reported (TargetNotFound) and the policy still applies to the rest, even to none.
 */
export function policyToIr(policy: Policy, status: StatusBuilder, ctx: TranslationContext): IrPolicy | null {
  const targets = new Map<string, PolicyTarget>();
  policy.spec.targetRefs.forEach((ref, i) => {
    const namespace = ref.namespace ?? status.meta.namespace;
    const id = `${namespace}/${ref.name}`;
    const kind = targetKind(ref.kind);
    if (!targetIds(kind, ctx).has(id)) {
      status.unresolved(
        Reasons.TargetNotFound,
        `spec.targetRefs[${i}]: no accepted ${ref.kind} ${id} in cluster "${ctx.cluster.name}"`,
      );
      return;
    }
    targets.set(`${kind}/${id}`, { kind, id });
  });
  const { authentication, rateLimit } = policy.spec;
  const apiKey = authentication?.apiKey;
  const aiLogging = aiLoggingToConfig(policy.spec.aiLogging, status, ctx);
  const aiCredentials = aiCredentialsToConfig(policy.spec.aiCredentials);
  if (!status.accepted) return null;
  return {
    kind: 'Policy',
    meta: status.meta,
    targets: [...targets.values()].sort(
      (a, b) => compareStrings(a.kind, b.kind) || compareStrings(a.id, b.id),
    ),
    authentication:
      authentication === undefined
        ? null
        : {
            apiKey:
              apiKey === undefined
                ? null
                : { header: apiKey.header?.toLowerCase() ?? null, optional: apiKey.optional ?? false },
          },
    rateLimit: rateLimit === undefined ? null : rateLimitToConfig(rateLimit),
    ...(aiLogging === undefined ? {} : { aiLogging }),
    ...(aiCredentials === undefined ? {} : { aiCredentials }),
  };
}

function rateLimitToConfig(limit: RateLimit): RateLimitConfig {
  return {
    requests: limit.requests,
    windowMs: WINDOW_MS[limit.per],
    burst: limit.burst ?? 0,
    key: limit.key ?? 'consumer',
  };
}

function targetKind(kind: PolicyTargetRef['kind']): PolicyTargetKind {
  switch (kind) {
    case 'Route':
      return 'route';
    case 'AIModel':
      return 'aimodel';
    case 'Consumer':
      return 'consumer';
    default:
      return assertNever(kind, 'policy target kind');
  }
}

function targetIds(kind: PolicyTargetKind, ctx: TranslationContext): ReadonlySet<string> {
  switch (kind) {
    case 'route':
      return ctx.routeIds;
    case 'aimodel':
      return ctx.aiModelIds;
    case 'consumer':
      return ctx.consumerIds;
    default:
      return assertNever(kind, 'policy target kind');
  }
}
