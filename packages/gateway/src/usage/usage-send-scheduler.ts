import { Backoff } from '../config/backoff.js';

export interface UsageSendSchedulerOptions {
  /** Retry delays after a failed send. Default 200 ms .. 5 s. */
  readonly retryInitialMs?: number | undefined;
  readonly retryMaxMs?: number | undefined;
  /**
   * How long the first record of a batch waits for more before the pump runs (records are not
   * latency-sensitive; fewer, fuller batches cost both planes far less per record). 0: the next
   * turn of the event loop. `scheduleNow()` skips the wait (full batch, flush, stop).
   */
  readonly lingerMs?: number | undefined;
  /** Besides pause and stop, whether sending can run now (connected, client created). */
  readonly ready: () => boolean;
  /** Sends what it can; runs in a later turn of the event loop, never inside `schedule()`. */
  readonly pump: () => void;
}

const DEFAULTS = Object.freeze({ retryInitialMs: 200, retryMaxMs: 5_000, lingerMs: 0 });

/**
 * When a usage sink sends, whatever its transport: `schedule()` runs the sink's `pump` once,
 * `lingerMs` later or in the next turn of the event loop (however often it is called before;
 * `scheduleNow()` cuts a linger short), a failure pauses sending for
 * a backoff delay, and `stop()` ends it for good. It also tracks the outage a failure begins and
 * a success ends, so the sink logs each once. Timers are unref'd: a paused sink keeps no process
 * alive.
 */
export class UsageSendScheduler {
  readonly #backoff: Backoff;
  readonly #ready: () => boolean;
  readonly #pump: () => void;
  readonly #lingerMs: number;
  #scheduled = false;
  /** Set while a lingering pump waits; `scheduleNow()` replaces it with an immediate one. */
  #linger: NodeJS.Timeout | undefined;
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
    this.#lingerMs = options.lingerMs ?? DEFAULTS.lingerMs;
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

  /** Runs the pump once, after the linger delay (if any): records sent together. */
  schedule(): void {
    if (this.#scheduled || this.#stopped || this.#retry !== undefined || !this.#ready()) return;
    this.#scheduled = true;
    if (this.#lingerMs <= 0) {
      setImmediate(() => this.#run());
      return;
    }
    this.#linger = setTimeout(() => this.#run(), this.#lingerMs);
    this.#linger.unref();
  }

  /** Runs the pump in the next turn of the event loop, cutting a pending linger short. */
  scheduleNow(): void {
    if (this.#linger !== undefined) {
      clearTimeout(this.#linger);
      this.#linger = undefined;
      this.#scheduled = false;
    }
    if (this.#scheduled || this.#stopped || this.#retry !== undefined || !this.#ready()) return;
    this.#scheduled = true;
    setImmediate(() => this.#run());
  }

  #run(): void {
    this.#scheduled = false;
    this.#linger = undefined;
    if (!this.#stopped) this.#pump();
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
    if (this.#linger !== undefined) clearTimeout(this.#linger);
    this.#linger = undefined;
    this.#scheduled = false;
  }
}
