import { Watchable } from '@hubpo/core';
import { snapshotWithEpoch } from '@hubpo/snapshot';
import type { Snapshot } from '@hubpo/snapshot';

/** The snapshot a cluster's gateways should serve, with what status computation needs to know. */
export interface PublishedSnapshot {
  readonly snapshot: Snapshot;
  readonly publishedAt: number;
  /**
   * Per resource key: the revision since which the resource has had its current version in this
   * cluster. A gateway that applied a revision at least this high serves the resource as it is.
   */
  readonly liveSince: ReadonlyMap<string, number>;
  /** Publication times (Unix ms) of recent revisions of this cluster, for propagation times. */
  readonly history: ReadonlyMap<number, number>;
}

const HISTORY = 32;

/**
 * The latest published snapshot per cluster: the hand-off from the pipeline to the drivers
 * (gRPC, NATS). Drivers subscribe; a slow driver sees the latest snapshot, never a backlog.
 */
export class PublishedSnapshots {
  readonly #byCluster = new Watchable<string, PublishedSnapshot>({
    equals: (a, b) =>
      a.snapshot.hash === b.snapshot.hash &&
      a.snapshot.revision === b.snapshot.revision &&
      a.snapshot.epoch === b.snapshot.epoch,
  });
  #epoch = '';

  /** The config epoch of the database (ADR 0008); "" until the pipeline has read it. */
  get epoch(): string {
    return this.#epoch;
  }

  /** Sets the epoch stamped on snapshots published without one (e.g. a new cluster's empty one). */
  useEpoch(epoch: string): void {
    this.#epoch = epoch;
  }

  get(cluster: string): PublishedSnapshot | undefined {
    return this.#byCluster.get(cluster);
  }

  clusters(): readonly string[] {
    return [...this.#byCluster.snapshot().keys()];
  }

  /** Makes `snapshot` the one its cluster serves; `restored` marks one loaded at start. */
  publish(unstamped: Snapshot, publishedAt: number, restored = false): PublishedSnapshot {
    const snapshot = unstamped.epoch === '' ? snapshotWithEpoch(unstamped, this.#epoch) : unstamped;
    const found = this.#byCluster.get(snapshot.cluster);
    // Revisions of another epoch say nothing about this one's (ADR 0008): start afresh.
    const previous = found?.snapshot.epoch === snapshot.epoch ? found : undefined;
    const liveSince = new Map<string, number>();
    for (const [key, res] of snapshot.resources) {
      const same = !restored && previous?.snapshot.resources.get(key)?.version === res.version;
      liveSince.set(key, same ? (previous?.liveSince.get(key) ?? snapshot.revision) : snapshot.revision);
    }
    const history = new Map(previous?.history ?? []);
    history.set(snapshot.revision, publishedAt);
    while (history.size > HISTORY) {
      const oldest = history.keys().next();
      if (oldest.done === true) break;
      history.delete(oldest.value);
    }
    const published: PublishedSnapshot = { snapshot, publishedAt, liveSince, history };
    this.#byCluster.set(snapshot.cluster, published);
    return published;
  }

  subscribe(handler: (published: PublishedSnapshot) => void | Promise<void>): { close(): void } {
    return this.#byCluster.subscribe(async (batch) => {
      for (const event of batch.events) {
        if (event.kind === 'set') await handler(event.value);
      }
    });
  }
}
