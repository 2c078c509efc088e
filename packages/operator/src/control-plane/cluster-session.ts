import { errorMessage } from '@hubpo/core';
import type { Logger } from '../logger.js';
import { Backoff, sleep } from '../queue/backoff.js';
import { ControlPlaneError } from './control-plane-client.js';
import type { ControlPlaneClient, RegisterRequest } from './control-plane-client.js';

export interface ClusterSessionOptions {
  readonly client: ControlPlaneClient;
  readonly bootstrapToken: string;
  readonly registration: RegisterRequest;
  readonly heartbeatMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly logger: Logger;
}

/**
 * The leader's standing with the control plane: it registers with the bootstrap token (retrying
 * with backoff until it succeeds), keeps the cluster token it gets, heartbeats every
 * `heartbeatMs`, and registers again when a call answers 401 (the token was rotated: another
 * replica registered, or the control plane lost it). Registering rotates the token, so a former
 * leader that still runs is locked out.
 */
export class ClusterSession {
  readonly #o: ClusterSessionOptions;
  readonly #stop = new AbortController();
  #token: string | undefined;
  #registering: Promise<string> | undefined;
  #heartbeat: Promise<void> | undefined;

  constructor(options: ClusterSessionOptions) {
    this.#o = options;
  }

  get cluster(): string {
    return this.#o.registration.name;
  }

  get registered(): boolean {
    return this.#token !== undefined;
  }

  /** Registers (retrying until it works or the session stops), then heartbeats in the background. */
  async start(): Promise<void> {
    await this.#register();
    this.#heartbeat = this.#beat();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#registering?.catch(() => undefined);
    await this.#heartbeat;
  }

  /**
   * Runs a call with the cluster token and the session's signal (stopping the session aborts
   * calls in flight); on 401 registers again and retries once.
   */
  async call<T>(fn: (token: string, cluster: string, signal: AbortSignal) => Promise<T>): Promise<T> {
    const token = this.#token ?? (await this.#register());
    try {
      return await fn(token, this.cluster, this.#stop.signal);
    } catch (err) {
      if (!(err instanceof ControlPlaneError) || err.status !== 401) throw err;
      if (this.#token === token) this.#token = undefined;
      return fn(await this.#register(), this.cluster, this.#stop.signal);
    }
  }

  /** One registration at a time; concurrent callers share it. */
  #register(): Promise<string> {
    this.#registering ??= this.#registerWithBackoff().finally(() => (this.#registering = undefined));
    return this.#registering;
  }

  async #registerWithBackoff(): Promise<string> {
    const backoff = new Backoff(this.#o.backoffInitialMs, this.#o.backoffMaxMs);
    for (;;) {
      if (this.#stop.signal.aborted) throw new ControlPlaneError(0, 'the cluster session stopped');
      try {
        const { token } = await this.#o.client.register(this.#o.bootstrapToken, this.#o.registration);
        this.#token = token;
        this.#o.logger.info('registered with the control plane');
        return token;
      } catch (err) {
        const wait = backoff.next();
        this.#o.logger.warn(
          {
            err: errorMessage(err),
            status: err instanceof ControlPlaneError ? err.status : undefined,
            retryMs: wait,
          },
          'registration with the control plane failed; retrying',
        );
        await sleep(wait, this.#stop.signal);
      }
    }
  }

  async #beat(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      await sleep(this.#o.heartbeatMs, this.#stop.signal);
      if (this.#stop.signal.aborted) break;
      try {
        await this.call((token, cluster) =>
          this.#o.client.heartbeat(token, cluster, this.#o.registration.operator),
        );
      } catch (err) {
        this.#o.logger.warn({ err: errorMessage(err) }, 'heartbeat to the control plane failed');
      }
    }
  }
}
