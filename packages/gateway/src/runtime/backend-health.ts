/**
 * Passive health and load of one backend (by backend id, shared by every rule that uses it and
 * carried across snapshot swaps): requests in flight (for LeastRequest) and consecutive
 * failures (connect errors, resets, timeouts, 5xx). `consecutiveFailures` of those in a row
 * eject the backend for `ejectionMs`; afterwards it takes traffic again and needs as many new
 * failures to be ejected again. Times are monotonic milliseconds.
 */
export class BackendHealth {
  readonly id: string;
  inflight = 0;
  /** 0 while in service, else the monotonic time the ejection ends. */
  ejectedUntil = 0;
  #failures = 0;

  constructor(id: string) {
    this.id = id;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Whether the backend is ejected at `now`; an expired ejection is cleared here. */
  isEjected(now: number): boolean {
    if (this.ejectedUntil === 0) return false;
    if (now < this.ejectedUntil) return true;
    this.ejectedUntil = 0;
    return false;
  }

  recordSuccess(): void {
    if (this.#failures !== 0) this.#failures = 0;
  }

  /** Counts a failure; true when it ejected the backend. */
  recordFailure(now: number, threshold: number, ejectionMs: number): boolean {
    this.#failures++;
    if (this.#failures < threshold || this.isEjected(now)) return false;
    this.#failures = 0;
    this.ejectedUntil = now + ejectionMs;
    return true;
  }
}
