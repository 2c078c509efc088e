import type { Snapshot, SnapshotResource } from './snapshot.js';
import { compareKeys } from './snapshot.js';

export interface SnapshotDiff {
  /** Resources the holder lacks or holds at another version, in key order. */
  readonly changed: readonly SnapshotResource[];
  /** Keys the holder has that the snapshot does not, sorted. */
  readonly removed: readonly string[];
}

/**
 * What a holder of `heldVersions` (key -> version) must add, replace and drop to hold `snapshot`.
 * An empty `heldVersions` gives every resource as changed.
 */
export function diffSnapshot(heldVersions: ReadonlyMap<string, string>, snapshot: Snapshot): SnapshotDiff {
  const changed: SnapshotResource[] = [];
  for (const [key, res] of snapshot.resources) {
    if (heldVersions.get(key) !== res.version) changed.push(res);
  }
  const removed: string[] = [];
  for (const key of heldVersions.keys()) {
    if (!snapshot.resources.has(key)) removed.push(key);
  }
  removed.sort(compareKeys);
  return { changed, removed };
}
