import { errorMessage } from '@hubpo/core';
import type { ClusterSession } from '../control-plane/cluster-session.js';
import type { ControlPlaneClient, RemoteStatus } from '../control-plane/control-plane-client.js';
import type { Logger } from '../logger.js';
import { Backoff, sleep } from '../queue/backoff.js';
import { objectKey } from '../reconcile/object-key.js';
import type { StatusBook } from './status-book.js';

export interface StatusSyncOptions {
  readonly controlPlane: ControlPlaneClient;
  readonly session: ClusterSession;
  readonly book: StatusBook;
  /** Long-poll wait (at most 30 s, the control plane's limit). */
  readonly waitSeconds: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly logger: Logger;
  /** A status arrived for the object: write it. */
  readonly statusChanged: (key: string) => void;
  /** The full list, read first and after every failure (to find objects Kubernetes no longer has). */
  readonly onFullList: (items: readonly RemoteStatus[]) => void;
}

/**
 * Brings statuses from the control plane to Kubernetes: reads every status of the cluster's
 * objects once, then long-polls for changes after the cursor it got, so a status the control
 * plane writes reaches the object within a round trip. After a failure it backs off and starts
 * over with a full list (the control plane may have restarted or lost its state).
 */
export class StatusSync {
  readonly #o: StatusSyncOptions;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: StatusSyncOptions) {
    this.#o = options;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const backoff = new Backoff(this.#o.backoffInitialMs, this.#o.backoffMaxMs);
    let cursor: string | undefined;
    while (!this.#stop.signal.aborted) {
      try {
        const after = cursor;
        const page = await this.#o.session.call((token, cluster) =>
          this.#o.controlPlane.statuses(
            token,
            cluster,
            after,
            after === undefined ? 0 : this.#o.waitSeconds,
            this.#stop.signal,
          ),
        );
        for (const item of page.items) {
          const key = objectKey(item.kind, item.namespace, item.name);
          this.#o.book.setRemote(key, item);
          this.#o.statusChanged(key);
        }
        if (after === undefined) this.#o.onFullList(page.items);
        cursor = page.cursor;
        backoff.reset();
      } catch (err) {
        if (this.#stop.signal.aborted) break;
        cursor = undefined;
        const wait = backoff.next();
        this.#o.logger.warn(
          { err: errorMessage(err), retryMs: wait },
          'reading statuses from the control plane failed',
        );
        await sleep(wait, this.#stop.signal);
      }
    }
  }
}
