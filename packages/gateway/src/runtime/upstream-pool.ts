import { Pool, buildConnector } from 'undici';

export interface UpstreamPoolOptions {
  readonly connectMs: number;
  /** Idle keep-alive connections are closed after this (undici also honours the upstream's hint). */
  readonly keepAliveMs: number;
}

/**
 * undici runs its connect timeout on timers of about 1 s resolution; connect timeouts up to
 * this long get a precise timer instead.
 */
const PRECISE_CONNECT_TIMEOUT_MS = 2000;

/** A connector whose timeout is a plain timer (one per connection attempt, not per request). */
function preciseConnector(connectMs: number): buildConnector.connector {
  // timeout 0: no undici connect timer; ours below replaces it.
  const connect = buildConnector({ timeout: 0 });
  return (options, callback) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined = undefined;
    // undici's connector returns the socket (its typings say void): kept to destroy on timeout.
    const socket: unknown = connect(options, (...args) => {
      if (settled) {
        if (args[1] !== null) args[1].destroy();
        return;
      }
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      callback(...args);
    });
    if (settled) return;
    timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      (socket as { destroy?: () => void } | undefined)?.destroy?.();
      callback(
        Object.assign(new Error(`connect timeout after ${connectMs} ms`), {
          code: 'UND_ERR_CONNECT_TIMEOUT',
        }),
        null,
      );
    }, connectMs);
  };
}

/**
 * One undici `Pool` (keep-alive connections to one origin), shared by every rule and runtime
 * that reaches the origin with the same connect timeout. Runtimes `acquire` it when compiled and
 * `release` it when retired and drained; once no runtime holds it and the state has dropped it
 * (no longer in the snapshot), it closes gracefully (in-flight requests finish).
 */
export class UpstreamPool {
  readonly key: string;
  readonly dispatcher: Pool;
  #refs = 0;
  #dropped = false;
  readonly #onClosed: (pool: UpstreamPool) => void;

  constructor(
    key: string,
    origin: string,
    options: UpstreamPoolOptions,
    onClosed: (pool: UpstreamPool) => void,
  ) {
    this.key = key;
    this.#onClosed = onClosed;
    this.dispatcher = new Pool(origin, {
      connections: null,
      pipelining: 1,
      keepAliveTimeout: options.keepAliveMs,
      connect:
        options.connectMs <= PRECISE_CONNECT_TIMEOUT_MS
          ? preciseConnector(options.connectMs)
          : { timeout: options.connectMs },
      // Per-request timeouts come with each dispatch.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  acquire(): void {
    this.#refs++;
  }

  release(): void {
    this.#refs--;
    this.#closeIfUnused();
  }

  /** The state no longer offers this pool to new runtimes. */
  drop(): void {
    this.#dropped = true;
    this.#closeIfUnused();
  }

  /** Closes now whatever holds it (state shutdown). */
  async destroy(): Promise<void> {
    this.#onClosed(this);
    if (!this.dispatcher.destroyed) await this.dispatcher.destroy();
  }

  #closeIfUnused(): void {
    if (this.#dropped && this.#refs <= 0 && !this.dispatcher.closed) {
      this.#onClosed(this);
      this.dispatcher.close().catch(() => undefined);
    }
  }
}
