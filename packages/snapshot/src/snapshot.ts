import { createHash } from 'node:crypto';
import { HubpoError, contentHash, stableStringify } from '@hubpo/core';
import { resourceKey } from './resource-key.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One typed config object of a snapshot (the `Resource` message of hubpo.config.v1).
 * `payload` is the UTF-8 stable JSON (object keys sorted) of the object; `version` is its content
 * hash: the first 16 hex characters of SHA-256 over `payload`.
 */
export interface SnapshotResource {
  readonly kind: string;
  readonly name: string;
  readonly version: string;
  readonly payload: Uint8Array;
}

/**
 * The complete config of one cluster at one revision. `revision` comes from the control plane's
 * `config_revision` sequence (a safe integer); `hash` depends only on the resources (see
 * `snapshotHash`), so identical config has an identical hash whatever its revision.
 */
export interface Snapshot {
  readonly cluster: string;
  readonly revision: number;
  readonly hash: string;
  /**
   * The control-plane installation that numbered `revision` ("" = unknown: a publisher or file
   * older than epochs). Revisions compare only within one epoch (ADR 0008). Not part of `hash`.
   */
  readonly epoch: string;
  /** Keyed by `resourceKey(kind, name)`, iterated in key order. */
  readonly resources: ReadonlyMap<string, SnapshotResource>;
}

/** An object to put in a snapshot: `value` is its typed config (any JSON value). */
export interface SnapshotObject {
  readonly kind: string;
  readonly name: string;
  readonly value: unknown;
}

/**
 * Builds a snapshot from typed config objects. Pure: the same objects always give the same
 * payload bytes, versions and hash, whatever their order or their objects' key order.
 */
export function buildSnapshot(
  cluster: string,
  revision: number,
  objects: Iterable<SnapshotObject>,
  epoch = '',
): Snapshot {
  const resources: SnapshotResource[] = [];
  for (const { kind, name, value } of objects) {
    const json = value === undefined ? undefined : stableStringify(value);
    if (json === undefined) {
      throw new HubpoError('SNAPSHOT_INVALID', `${resourceKey(kind, name)}: value is not JSON-serializable`);
    }
    resources.push({ kind, name, version: contentHash(value), payload: Buffer.from(json, 'utf8') });
  }
  return snapshotOf(cluster, revision, resources, epoch);
}

/**
 * Assembles a snapshot from resources received over a wire (a discovery response, the NATS
 * bucket, a snapshot file) and verifies it: every version must be the content hash of its payload
 * and, when given, the snapshot hash must equal `expectedHash`. Throws SNAPSHOT_INVALID otherwise.
 */
export function assembleSnapshot(
  cluster: string,
  revision: number,
  resources: Iterable<SnapshotResource>,
  expectedHash?: string,
  epoch = '',
): Snapshot {
  const list = [...resources];
  verifyResourceVersions(list);
  return snapshotOfVerified(cluster, revision, list, expectedHash, epoch);
}

/** Throws SNAPSHOT_INVALID unless every resource's version is the content hash of its payload. */
export function verifyResourceVersions(resources: Iterable<SnapshotResource>): void {
  for (const res of resources) {
    const actual = payloadVersion(res.payload);
    if (actual !== res.version) {
      throw new HubpoError(
        'SNAPSHOT_INVALID',
        `${resourceKey(res.kind, res.name)}: payload does not match version ${res.version} (content hash ${actual})`,
      );
    }
  }
}

/** `assembleSnapshot` for resources whose versions are already verified. */
export function snapshotOfVerified(
  cluster: string,
  revision: number,
  resources: readonly SnapshotResource[],
  expectedHash?: string,
  epoch = '',
): Snapshot {
  const snapshot = snapshotOf(cluster, revision, resources, epoch);
  if (expectedHash !== undefined && snapshot.hash !== expectedHash) {
    throw new HubpoError(
      'SNAPSHOT_INVALID',
      `snapshot of ${cluster} at revision ${revision} has hash ${snapshot.hash}, expected ${expectedHash}`,
    );
  }
  return snapshot;
}

/** The same snapshot under another epoch (what a control plane stamps on what it publishes). */
export function snapshotWithEpoch(snapshot: Snapshot, epoch: string): Snapshot {
  return snapshot.epoch === epoch ? snapshot : Object.freeze({ ...snapshot, epoch: assertEpoch(epoch) });
}

/**
 * Whether a snapshot of `offered` epoch replaces one of `held` epoch whatever their revisions:
 * both are known and they differ (the control plane's database was recreated or restored).
 * An unknown ("") epoch on either side keeps the plain revision order (senders before epochs).
 */
export function isEpochReset(held: string, offered: string): boolean {
  return held !== '' && offered !== '' && held !== offered;
}

/** Limits an epoch to what a control plane writes: at most 64 characters of `[-_.a-zA-Z0-9]`. */
export function assertEpoch(epoch: string): string {
  if (epoch.length > 64 || !/^[-_.a-zA-Z0-9]*$/.test(epoch)) {
    throw new HubpoError('SNAPSHOT_INVALID', `epoch must be at most 64 characters of [-_.a-zA-Z0-9]`);
  }
  return epoch;
}

/** Content version of a payload: the first 16 hex characters of its SHA-256. */
export function payloadVersion(payload: Uint8Array): string {
  return createHash('sha256').update(payload).digest('hex').slice(0, 16);
}

/**
 * Snapshot hash: `contentHash` (SHA-256 over stable JSON, 16 hex characters) of the
 * `[key, version]` pairs sorted by key (UTF-16 code unit order).
 */
export function snapshotHash(versions: Iterable<readonly [key: string, version: string]>): string {
  const pairs = [...versions].map(([key, version]): [string, string] => [key, version]);
  pairs.sort((a, b) => compareKeys(a[0], b[0]));
  return contentHash(pairs);
}

/** `key -> version` of every resource of a snapshot (what a holder of it tells a publisher). */
export function snapshotVersions(snapshot: Snapshot): Map<string, string> {
  const versions = new Map<string, string>();
  for (const [key, res] of snapshot.resources) versions.set(key, res.version);
  return versions;
}

/**
 * Parses a resource's JSON payload. The caller names the type it expects; the payload is trusted
 * as far as the snapshot is (its version was checked when the snapshot was assembled).
 */
export function decodeResource<T>(res: SnapshotResource): T {
  try {
    return JSON.parse(utf8.decode(res.payload)) as T;
  } catch (err) {
    throw new HubpoError(
      'SNAPSHOT_INVALID',
      `${resourceKey(res.kind, res.name)}: payload is not UTF-8 JSON`,
      {
        cause: err,
      },
    );
  }
}

/** Checks that a revision is what the wire can carry exactly: a non-negative safe integer. */
export function assertRevision(revision: number, what = 'revision'): number {
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new HubpoError('SNAPSHOT_INVALID', `${what} must be a non-negative safe integer, got ${revision}`);
  }
  return revision;
}

export function compareKeys(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

function snapshotOf(
  cluster: string,
  revision: number,
  list: readonly SnapshotResource[],
  epoch: string,
): Snapshot {
  if (cluster.length === 0) throw new HubpoError('SNAPSHOT_INVALID', 'snapshot cluster is empty');
  assertRevision(revision);
  assertEpoch(epoch);
  const keyed = list.map((res) => [resourceKey(res.kind, res.name), res] as const);
  keyed.sort((a, b) => compareKeys(a[0], b[0]));
  const resources = new Map<string, SnapshotResource>();
  for (const [key, res] of keyed) {
    if (resources.has(key)) throw new HubpoError('SNAPSHOT_INVALID', `duplicate resource ${key}`);
    resources.set(
      key,
      Object.freeze({ kind: res.kind, name: res.name, version: res.version, payload: res.payload }),
    );
  }
  const hash = snapshotHash(keyed.map(([key, res]) => [key, res.version] as const));
  return Object.freeze({ cluster, revision, hash, epoch, resources });
}
