import type { AIStrategy } from '@hubpo/snapshot';
import type { AITarget } from './ai-target.js';

/**
 * The order in which one request tries the targets of an AIModel: the first is the primary,
 * the others are fallbacks, tried in turn on 429, 5xx, timeouts and connection errors.
 * `byPriority` is the AIModel's target list sorted by priority (lowest first), then position.
 *
 * - **Fallback**: priority order.
 * - **Weighted**: a weighted random order of the targets with weight above 0 (each position is
 *   drawn in proportion to weight among the targets left: Efraimidis-Spirakis keys
 *   `u^(1/w)`), then the weight-0 targets in priority order: weight 0 makes a backup that only
 *   takes traffic when the weighted ones fail.
 * - **LeastLatency**: lowest moving average first (time to first token for streams, whole call
 *   otherwise); targets never measured come first so that each gets measured; ties by priority.
 * - **LowestCost**: lowest input + output price per 1M tokens in effect at `nowMs` first;
 *   unpriced targets last; ties by priority.
 *
 * Circuit breakers are consulted when a target's turn comes, not here. Returns a new array.
 */
export function planTargets(
  strategy: AIStrategy,
  byPriority: readonly AITarget[],
  nowMs: number,
  random: () => number,
): AITarget[] {
  switch (strategy) {
    case 'Fallback':
      return byPriority.slice();
    case 'Weighted':
      return weightedOrder(byPriority, random);
    case 'LeastLatency':
      return sortedBy(byPriority, (t) => {
        const latency = t.state.latency.value;
        return Number.isNaN(latency) ? -1 : latency;
      });
    case 'LowestCost':
      return sortedBy(byPriority, (t) => t.prices.blendedPerMillion(nowMs));
    default:
      return byPriority.slice();
  }
}

/** A stable sort of `targets` (already in priority order) by `key`, lowest first. */
function sortedBy(targets: readonly AITarget[], key: (t: AITarget) => number): AITarget[] {
  const keyed = targets.map((target, position) => ({ target, position, key: key(target) }));
  keyed.sort((a, b) => a.key - b.key || a.position - b.position);
  return keyed.map((k) => k.target);
}

function weightedOrder(byPriority: readonly AITarget[], random: () => number): AITarget[] {
  const weighted: { target: AITarget; key: number }[] = [];
  const backups: AITarget[] = [];
  for (const target of byPriority) {
    if (target.weight > 0) {
      // 1 - random() is in (0, 1]: a zero draw would tie every target at key 0.
      weighted.push({ target, key: Math.pow(1 - random(), 1 / target.weight) });
    } else {
      backups.push(target);
    }
  }
  weighted.sort((a, b) => b.key - a.key);
  const out = weighted.map((w) => w.target);
  for (const target of backups) out.push(target);
  return out;
}
