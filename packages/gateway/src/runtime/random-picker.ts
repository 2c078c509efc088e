import { BackendPicker, weightedRandom } from './backend-picker.js';
import type { BackendTarget } from './backend-target.js';

/** Weighted random: each pickable target with probability weight / total. */
export class RandomPicker extends BackendPicker {
  readonly #random: () => number;

  constructor(targets: readonly BackendTarget[], random: () => number) {
    super(targets);
    this.#random = random;
  }

  protected pass(clock: () => number, exclude: BackendTarget | null, panic: boolean): BackendTarget | null {
    return weightedRandom(this.targets, this.#random, clock, exclude, panic, null);
  }
}
