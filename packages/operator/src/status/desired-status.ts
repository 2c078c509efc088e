import { stableStringify } from '@hubpo/core';
import type { RemoteStatus } from '../control-plane/control-plane-client.js';
import type { KubeObject } from '../kube/kube-client.js';
import type { OperatorCondition } from '../reconcile/resolve-references.js';

/** A condition as written on the object (Gateway API style). */
export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime?: string;
}

/** What the operator itself decided for one generation of an object. */
export interface LocalDecision {
  readonly generation: number;
  /** Conditions the operator decided (RefNotPermitted, SecretNotFound, Invalid, ...). */
  readonly conditions: readonly OperatorCondition[];
  /** The control plane holds this generation: its status will follow. */
  readonly sent: boolean;
}

const ORDER = ['Accepted', 'ResolvedRefs', 'Programmed', 'Distributed'];

/**
 * The status the object should carry (pure). Once the control plane reported on the object's
 * current generation: its conditions and distribution, with the operator's own decisions taking
 * precedence by condition type. Before that, the operator's decisions for the current generation
 * are written over the conditions already there (each condition carries its own
 * observedGeneration), and a brand-new object gets `Accepted=Unknown/Pending`; status
 * `observedGeneration` moves only when the generation was fully decided (reported, or refused by
 * the operator). Undefined when there is nothing to write. `lastTransitionTime` is kept from the
 * object's condition when the status did not flip.
 */
export function desiredStatus(
  object: KubeObject,
  local: LocalDecision | undefined,
  remote: RemoteStatus | undefined,
  now: string,
): Record<string, unknown> | undefined {
  const generation = object.metadata.generation ?? 1;
  const remoteCurrent =
    remote !== undefined &&
    remote.generation === generation &&
    remote.status['observedGeneration'] === generation;
  const decided = local?.generation === generation ? local : undefined;
  if (!remoteCurrent && decided === undefined) return undefined;
  const existing = conditionsOf(object.status ?? {});
  const byType = new Map<string, Condition>();
  if (remoteCurrent) {
    for (const c of conditionsOf(remote.status)) byType.set(c.type, { ...c, observedGeneration: generation });
  } else {
    for (const c of existing) byType.set(c.type, c);
    if (existing.length === 0 && decided?.sent === true) {
      const pending = 'sent to the control plane; waiting for its status';
      byType.set('Accepted', { type: 'Accepted', status: 'Unknown', reason: 'Pending', message: pending });
    }
  }
  for (const c of decided?.conditions ?? []) byType.set(c.type, { ...c, observedGeneration: generation });
  const conditions = [...byType.values()]
    .sort((a, b) => rank(a.type) - rank(b.type) || a.type.localeCompare(b.type))
    .map((c) => {
      const old = existing.find((e) => e.type === c.type);
      const since =
        old !== undefined && old.status === c.status ? old.lastTransitionTime : c.lastTransitionTime;
      return {
        type: c.type,
        status: c.status,
        reason: c.reason,
        message: c.message,
        observedGeneration: c.observedGeneration ?? generation,
        lastTransitionTime: since ?? now,
      };
    });
  if (!remoteCurrent) {
    const refused = decided?.conditions.some((c) => c.type === 'Accepted' && c.status === 'False') === true;
    return refused ? { observedGeneration: generation, conditions, distribution: null } : { conditions };
  }
  const distribution = remote.status['distribution'];
  return {
    observedGeneration: generation,
    conditions,
    distribution: Array.isArray(distribution) ? distribution : null,
  };
}

/** The merge patch that brings `current` to `desired`, or undefined when they already agree. */
export function statusPatch(
  current: Readonly<Record<string, unknown>> | undefined,
  desired: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  const now = current ?? {};
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(desired)) {
    if (value === null ? now[key] !== undefined : stableStringify(now[key]) !== stableStringify(value))
      patch[key] = value;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

export function conditionsOf(status: Readonly<Record<string, unknown>>): Condition[] {
  const raw = status['conditions'];
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (c): c is Condition =>
      typeof c === 'object' &&
      c !== null &&
      typeof (c as Condition).type === 'string' &&
      typeof (c as Condition).status === 'string',
  );
}

function rank(type: string): number {
  const i = ORDER.indexOf(type);
  return i === -1 ? ORDER.length : i;
}
