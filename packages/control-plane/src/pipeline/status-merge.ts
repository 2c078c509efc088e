import type { Condition } from '@hubpo/api';
import { stableStringify } from '@hubpo/core';

/**
 * Stamps `lastTransitionTime` on the desired conditions: a condition whose status did not change
 * keeps the time of its last transition (as Kubernetes conditions do), a new or flipped one gets
 * `now`. Reason and message changes alone are not transitions.
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly Condition[],
  now: string,
): Condition[] {
  return next.map((condition) => {
    const old = previous?.find((p) => p.type === condition.type);
    const kept = old !== undefined && old.status === condition.status ? old.lastTransitionTime : undefined;
    return { ...condition, lastTransitionTime: kept ?? now };
  });
}

/** The conditions of a stored status, ignoring anything that is not a well-formed condition. */
export function conditionsOf(status: Readonly<Record<string, unknown>>): Condition[] {
  const raw = status['conditions'];
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (c): c is Condition =>
      typeof c === 'object' &&
      c !== null &&
      typeof (c as Record<string, unknown>)['type'] === 'string' &&
      typeof (c as Record<string, unknown>)['status'] === 'string',
  );
}

/** True when writing `next` would change what is stored. */
export function statusDiffers(
  previous: Readonly<Record<string, unknown>>,
  next: Readonly<Record<string, unknown>>,
): boolean {
  return stableStringify(previous) !== stableStringify(next);
}
