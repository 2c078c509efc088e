import { BackendPicker, weightedRandom } from './backend-picker.js';
import type { BackendTarget } from './backend-target.js';

/**
 * Least request by power of two choices, weighted: two distinct targets drawn by weight, the
 * one with fewer requests in flight per unit of weight wins ((inflight + 1) / weight; ties go to
 * the first draw). In-flight counts are per backend, across every rule and runtime using it.
 */
export class LeastRequestPicker extends BackendPicker {
  readonly #random: () => number;

  constructor(targets: readonly BackendTarget[], random: () => number) {
    super(targets);
    this.#random = random;
  }

  protected pass(clock: () => number, exclude: BackendTarget | null, panic: boolean): BackendTarget | null {
    const first = weightedRandom(this.targets, this.#random, clock, exclude, panic, null);
    if (first === null) return null;
    const second = weightedRandom(this.targets, this.#random, clock, exclude, panic, first);
    if (second === null) return first;
    const a = (first.health.inflight + 1) / first.weight;
    const b = (second.health.inflight + 1) / second.weight;
    return b < a ? second : first;
  }
}
