/** States of a `CircuitBreaker`. */
export const BreakerState = Object.freeze({ Closed: 0, Open: 1, HalfOpen: 2 });
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

export interface BreakerSettings {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  /** How long an open breaker keeps the target out before one probe may go (ms). */
  readonly coolDownMs: number;
}

export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = Object.freeze({
  failureThreshold: 5,
  coolDownMs: 30_000,
});

/**
 * A circuit breaker of one AI target. Closed: every request may go; `failureThreshold`
 * consecutive failures open it. Open: no request goes until `coolDownMs` passed. Half-open:
 * exactly one request (the probe) goes; its success closes the breaker, its failure opens it
 * for another cool-down. A probe that ends without a verdict (the client went away, the request
 * was refused before the call) must `release` its slot so the next request can probe.
 * Times are the runtime's monotonic milliseconds; the breaker lives in `RuntimeState` across
 * snapshot swaps (by target id).
 */
export class CircuitBreaker {
  readonly #settings: BreakerSettings;
  #state: BreakerState = BreakerState.Closed;
  #failures = 0;
  #openedAt = 0;
  #probing = false;

  constructor(settings: BreakerSettings = DEFAULT_BREAKER_SETTINGS) {
    this.#settings = settings;
  }

  /** The state at `now` (an open breaker whose cool-down ended reports half-open). */
  state(now: number): BreakerState {
    if (this.#state === BreakerState.Open && now - this.#openedAt >= this.#settings.coolDownMs)
      return BreakerState.HalfOpen;
    return this.#state;
  }

  /**
   * Whether a request may go to the target at `now`. In half-open this takes the single probe
   * slot, so the caller must then report `success`, `failure` or `release`.
   */
  tryAcquire(now: number): boolean {
    if (this.#state === BreakerState.Closed) return true;
    if (this.#state === BreakerState.Open) {
      if (now - this.#openedAt < this.#settings.coolDownMs) return false;
      this.#state = BreakerState.HalfOpen;
      this.#probing = false;
    }
    if (this.#probing) return false;
    this.#probing = true;
    return true;
  }

  success(): void {
    this.#state = BreakerState.Closed;
    this.#failures = 0;
    this.#probing = false;
  }

  /** Returns true when this failure opened the breaker. */
  failure(now: number): boolean {
    if (this.#state === BreakerState.HalfOpen) {
      this.#open(now);
      return true;
    }
    this.#failures++;
    if (this.#state === BreakerState.Closed && this.#failures >= this.#settings.failureThreshold) {
      this.#open(now);
      return true;
    }
    return false;
  }

  /** A request that held the probe slot ended without telling whether the target works. */
  release(): void {
    this.#probing = false;
  }

  /** Milliseconds until an open breaker lets a probe through (0 when not open). */
  retryInMs(now: number): number {
    if (this.#state !== BreakerState.Open) return 0;
    return Math.max(0, this.#openedAt + this.#settings.coolDownMs - now);
  }

  #open(now: number): void {
    this.#state = BreakerState.Open;
    this.#openedAt = now;
    this.#probing = false;
    this.#failures = 0;
  }
}
