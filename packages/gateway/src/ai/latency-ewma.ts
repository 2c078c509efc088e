/**
 * Exponentially weighted moving average of a target's latency (ms), for the LeastLatency
 * strategy. Streams feed their time to first token, other calls their whole duration: what a
 * client waits before it sees an answer. `NaN` until the first sample (unmeasured targets are
 * tried first, so each gets measured).
 */
export class LatencyEwma {
  readonly #alpha: number;
  #value = Number.NaN;
  #samples = 0;

  /** `alpha` in (0, 1]: the weight of a new sample (0.3 forgets a sample after ~10 more). */
  constructor(alpha = 0.3) {
    this.#alpha = alpha;
  }

  get value(): number {
    return this.#value;
  }

  get samples(): number {
    return this.#samples;
  }

  record(ms: number): void {
    this.#samples++;
    this.#value = Number.isNaN(this.#value) ? ms : this.#value + this.#alpha * (ms - this.#value);
  }
}
