import { errorMessage } from '@hubpo/core';
import type { KubeClient, LeaseRecord } from '../kube/kube-client.js';
import type { Logger } from '../logger.js';
import { sleep } from '../queue/backoff.js';

export interface LeaderElectionOptions {
  readonly client: Pick<KubeClient, 'getLease' | 'createLease' | 'updateLease'>;
  readonly namespace: string;
  readonly name: string;
  /** This replica (the pod name). */
  readonly identity: string;
  /** How long a Lease holds without renewal before others may take it (client-go: 15 s). */
  readonly leaseDurationMs: number;
  /** The leader gives up when it could not renew for this long (client-go: 10 s); < leaseDurationMs. */
  readonly renewDeadlineMs: number;
  /** Between attempts to acquire or renew (client-go: 2 s). */
  readonly retryPeriodMs: number;
  readonly logger: Logger;
  readonly onStartedLeading: () => void;
  /** Awaited before the Lease is campaigned for again or released: stop all leader work here. */
  readonly onStoppedLeading: () => Promise<void>;
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does it:
 * every write carries the Lease's resourceVersion (optimistic concurrency: of two candidates only
 * one update succeeds), a held Lease is taken over only when its record did not change for its
 * `leaseDurationSeconds` as observed on this replica's clock (no cross-node clock comparison),
 * the leader stops leading when it could not renew within `renewDeadlineMs` (before anyone may
 * take over), and a leader that stops releases the Lease so a standby takes over at once.
 */
export class LeaderElector {
  readonly #o: LeaderElectionOptions;
  readonly #stop = new AbortController();
  #leader = false;
  #lastRenew = 0;
  #observed: { record: string; at: number } | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    if (options.renewDeadlineMs >= options.leaseDurationMs) {
      throw new Error('renewDeadlineMs must be shorter than leaseDurationMs');
    }
    this.#o = options;
  }

  isLeader(): boolean {
    return this.#leader;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops campaigning; a leader stops leading and releases the Lease. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    if (this.#leader) {
      this.#leader = false;
      await this.#o.onStoppedLeading();
    }
    // Also when an acquisition raced with stop(): release only checks and clears our own hold.
    await this.#release().catch((err: unknown) =>
      this.#o.logger.warn(
        { err: errorMessage(err) },
        'could not release the leader Lease; it expires on its own',
      ),
    );
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const ok = await this.#tryAcquireOrRenew();
      if (this.#stop.signal.aborted) break;
      const now = Date.now();
      if (ok) {
        this.#lastRenew = now;
        if (!this.#leader) {
          this.#leader = true;
          this.#o.logger.info({ identity: this.#o.identity, lease: this.#leaseName() }, 'became the leader');
          this.#o.onStartedLeading();
        }
      } else if (this.#leader && now - this.#lastRenew > this.#o.renewDeadlineMs) {
        this.#leader = false;
        this.#o.logger.warn(
          { identity: this.#o.identity, lease: this.#leaseName() },
          'lost the leader Lease: stopping leading',
        );
        await this.#o.onStoppedLeading();
      }
      // Standbys add jitter so they do not all try at the same instant (client-go: factor 1.2).
      const wait = this.#leader ? this.#o.retryPeriodMs : this.#o.retryPeriodMs * (1 + Math.random() * 0.2);
      await sleep(wait, this.#stop.signal);
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.#o;
    const now = new Date();
    try {
      const current = await client.getLease(namespace, name);
      if (current === undefined) {
        this.#observe(await client.createLease(namespace, name, this.#record(now, now, 0, undefined)));
        return true;
      }
      this.#observe(current);
      const heldByOther = current.holderIdentity !== '' && current.holderIdentity !== identity;
      const observedAt = this.#observed?.at ?? now.getTime();
      if (heldByOther && observedAt + current.leaseDurationSeconds * 1000 > now.getTime()) return false;
      const mine = current.holderIdentity === identity;
      const next = this.#record(
        mine ? (current.acquireTime ?? now) : now,
        now,
        mine ? current.leaseTransitions : current.leaseTransitions + 1,
        current.resourceVersion,
      );
      this.#observe(await client.updateLease(namespace, name, next));
      return true;
    } catch (err) {
      this.#o.logger.debug({ err: errorMessage(err) }, 'leader Lease not acquired or renewed');
      return false;
    }
  }

  async #release(): Promise<void> {
    const { client, namespace, name, identity } = this.#o;
    const current = await client.getLease(namespace, name);
    if (current === undefined || current.holderIdentity !== identity) return;
    const now = new Date();
    await client.updateLease(namespace, name, {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      ...(current.acquireTime === undefined ? {} : { acquireTime: current.acquireTime }),
      renewTime: now,
      leaseTransitions: current.leaseTransitions,
      ...(current.resourceVersion === undefined ? {} : { resourceVersion: current.resourceVersion }),
    });
    this.#o.logger.info({ identity, lease: this.#leaseName() }, 'released the leader Lease');
  }

  #record(
    acquireTime: Date,
    renewTime: Date,
    leaseTransitions: number,
    resourceVersion: string | undefined,
  ): LeaseRecord {
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.#o.leaseDurationMs / 1000)),
      acquireTime,
      renewTime,
      leaseTransitions,
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    };
  }

  /** Remembers when the record last changed, by this replica's clock. */
  #observe(lease: LeaseRecord): void {
    const record = `${lease.holderIdentity}|${lease.renewTime?.getTime() ?? ''}|${lease.resourceVersion ?? ''}`;
    if (this.#observed?.record !== record) this.#observed = { record, at: Date.now() };
  }

  #leaseName(): string {
    return `${this.#o.namespace}/${this.#o.name}`;
  }
}
