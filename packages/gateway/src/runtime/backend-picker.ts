import type { BackendTarget } from './backend-target.js';

/**
 * Chooses the backend of one attempt, by weight. Ejected backends are skipped; when every
 * backend is ejected the picker ignores ejection ("panic mode", as Envoy does below its panic
 * threshold): passive health only learns from real traffic, and answering 503 to everything
 * would hide a backend that recovered before its ejection ended, while retries still move a
 * failing request elsewhere. `exclude` (the backend a retry follows) is avoided whenever another
 * backend can be used.
 */
export abstract class BackendPicker {
  readonly targets: readonly BackendTarget[];

  constructor(targets: readonly BackendTarget[]) {
    this.targets = targets;
  }

  pick(clock: () => number, exclude: BackendTarget | null): BackendTarget {
    const targets = this.targets;
    if (targets.length === 1) return targets[0]!;
    return (
      this.pass(clock, exclude, false) ??
      this.pass(clock, exclude, true) ??
      this.pass(clock, null, true) ??
      targets[0]!
    );
  }

  /** One selection among the targets `pickable` accepts; null when there is none. */
  protected abstract pass(
    clock: () => number,
    exclude: BackendTarget | null,
    panic: boolean,
  ): BackendTarget | null;
}

/** Weighted random choice among pickable targets, skipping `skip` as well. */
export function weightedRandom(
  targets: readonly BackendTarget[],
  random: () => number,
  clock: () => number,
  exclude: BackendTarget | null,
  panic: boolean,
  skip: BackendTarget | null,
): BackendTarget | null {
  let total = 0;
  let last: BackendTarget | null = null;
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i]!;
    if (target === skip || !target.pickable(clock, exclude, panic)) continue;
    total += target.weight;
    last = target;
  }
  if (last === null) return null;
  let point = random() * total;
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i]!;
    if (target === skip || !target.pickable(clock, exclude, panic)) continue;
    point -= target.weight;
    if (point < 0) return target;
  }
  return last;
}
