import { Backoff } from '../config/backoff.js';

export interface UsageSendSchedulerOptions {
  /** Retry delays after a failed send. Default 200 ms .. 5 s. */
  readonly retryInitialMs?: number | undefined;
  readonly retryMaxMs?: number | undefined;
  /** Besides pause and stop, whether sending can run now (connected, client created). */
  readonly ready: () => boolean;
  /** Sends what it can; runs in a later turn of the event loop, never inside `schedule()`. */
  readonly pump: () => void;
}

const DEFAULTS = Object.freeze({ retryInitialMs: 200, retryMaxMs: 5_000 });

/**
 * When a usage sink sends, whatever its transport: `schedule()` runs the sink's `pump` once in a
 * later turn of the event loop (however often it is called before), a failure pauses sending for
 * a backoff delay, and `stop()` ends it for good. It also tracks the outage a failure begins and
 * a success ends, so the sink logs each once. Timers are unref'd: a paused sink keeps no process
 * alive.
 */
export class UsageSendScheduler {
  readonly #backoff: Backoff;
  readonly #ready: () => boolean;
  readonly #pump: () => void;
  #scheduled = false;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;
  #outage = false;

  constructor(options: UsageSendSchedulerOptions) {
    this.#backoff = new Backoff({
      initialMs: options.retryInitialMs ?? DEFAULTS.retryInitialMs,
      maxMs: options.retryMaxMs ?? DEFAULTS.retryMaxMs,
    });
    this.#ready = options.ready;
    this.#pump = options.pump;
  }

  /** The retry delays; a sink may share them with its own reconnect attempts. */
  get backoff(): Backoff {
    return this.#backoff;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Sending may go on: not stopped and not waiting out a delay. */
  get sending(): boolean {
    return this.#retry === undefined && !this.#stopped;
  }

  schedule(): void {
    if (this.#scheduled || this.#stopped || this.#retry !== undefined || !this.#ready()) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /**
   * After a failure nothing is sent until the backoff delay passed. Returns true when this
   * failure begins an outage (the caller logs it); false while already paused or stopped.
   */
  pause(): boolean {
    if (this.#retry !== undefined || this.#stopped) return false;
    const begins = !this.#outage;
    this.#outage = true;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.schedule();
    }, this.#backoff.next());
    this.#retry.unref();
    return begins;
  }

  /** A send succeeded: delays start over. Returns true when this ends an outage (the caller logs it). */
  succeeded(): boolean {
    this.#backoff.reset();
    if (!this.#outage) return false;
    this.#outage = false;
    return true;
  }

  /** Sends again at once, without waiting out a delay (the connection came back). */
  resume(): void {
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#backoff.reset();
    this.schedule();
  }

  /** Nothing is sent any more; a pending retry is cancelled. */
  stop(): void {
    this.#stopped = true;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
  }
}
