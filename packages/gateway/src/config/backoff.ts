export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Injected for tests; returns [0, 1). */
  readonly random?: () => number;
}

/**
 * Exponential reconnect delays with "equal jitter": attempt n waits between half and all of
 * min(max, initial * 2^n), so a fleet of gateways that lost the control plane together does not
 * come back in lockstep, while each one still retries at least every `maxMs`.
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    this.#initialMs = Math.max(1, options.initialMs);
    this.#maxMs = Math.max(this.#initialMs, options.maxMs);
    this.#random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call moves one attempt further. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.#random());
  }

  /** Call once a connection proved healthy (it delivered something). */
  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }
}
