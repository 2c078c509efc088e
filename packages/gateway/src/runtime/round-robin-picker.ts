import { BackendPicker } from './backend-picker.js';
import type { BackendTarget } from './backend-target.js';

/**
 * Smooth weighted round robin (nginx): every pick adds each pickable target's weight to its
 * running score, takes the highest score and subtracts the total from it. Weights 5:1:1 give
 * `a a b a c a a`, not `a a a a a b c`. The scores live in `current`, which the runtime state
 * carries across snapshot swaps for the same rule and backends.
 */
export class RoundRobinPicker extends BackendPicker {
  readonly #current: Float64Array;

  constructor(targets: readonly BackendTarget[], current: Float64Array) {
    super(targets);
    this.#current = current;
  }

  protected pass(clock: () => number, exclude: BackendTarget | null, panic: boolean): BackendTarget | null {
    const targets = this.targets;
    const current = this.#current;
    let best = -1;
    let total = 0;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      if (!target.pickable(clock, exclude, panic)) continue;
      current[i]! += target.weight;
      total += target.weight;
      if (best === -1 || current[i]! > current[best]!) best = i;
    }
    if (best === -1) return null;
    current[best]! -= total;
    return targets[best]!;
  }
}
