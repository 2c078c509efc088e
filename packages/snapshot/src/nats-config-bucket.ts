import { createHash } from 'node:crypto';
import type { JetStreamManager, KV, KvEntry, MsgRequest, NatsConnection } from 'nats';
import { HubpoError } from '@hubpo/core';
import { manifestCodec, storedResourceCodec } from './config-codec.js';
import {
  DEFAULT_CONFIG_BUCKET,
  MAX_BLOB_BYTES,
  MAX_BLOB_CHUNKS,
  MIN_BLOB_CHUNK_BYTES,
  blobChunkKvKey,
  clusterBlobsFilter,
  clusterResourcesFilter,
  kvStreamName,
  manifestBlobName,
  manifestKvKey,
  parseBlobChunkKvKey,
  parseBlobName,
  parseResourceKvKey,
  resourceBlobName,
  resourceKvKey,
} from './config-kv-layout.js';
import type { BlobRef, Manifest } from './config-messages.js';
import { diffSnapshot } from './diff-snapshot.js';
import { mapConcurrent } from './map-concurrent.js';
import { NatsManifestWatch } from './nats-manifest-watch.js';
import type { ConfigManifest, ManifestWatch, ManifestWatchOptions } from './nats-manifest-watch.js';
import { parseResourceKey } from './resource-key.js';
import { isEpochReset, payloadVersion, snapshotOfVerified, snapshotVersions } from './snapshot.js';
import type { Snapshot, SnapshotResource } from './snapshot.js';

export interface NatsConfigBucketOptions {
  /** KV bucket name; default "hubpo-config". */
  readonly bucket?: string;
  /**
   * Create the bucket when missing (the publisher). False (the default, for
   * gateways, which may only read) binds without checking: reads fail and watches retry until
   * the control plane has created the bucket, so a gateway may start first.
   */
  readonly create?: boolean;
  /**
   * When binding: read with JetStream direct gets, which any replica or leaf-node mirror can
   * answer (buckets created by this class and mirrors made by `ensureConfigMirror` on
   * nats-server 2.9+ allow them). Default true.
   */
  readonly allowDirect?: boolean;
  /** When creating: values kept per key (1 = only the current one). */
  readonly history?: number;
  /** When creating: stream replicas. */
  readonly replicas?: number;
  /**
   * Encoded values above this size (bytes) are split into chunks of this size, stored as KV
   * entries of their own (blobs); default 512 KiB, lowered below the server's max_payload when
   * needed, at least 1 KiB.
   */
  readonly inlineLimitBytes?: number;
  /** KV operations in flight at once; default 256. */
  readonly concurrency?: number;
  /** `readSnapshot`: how long resources may disagree with the manifest; default 10 s. */
  readonly barrierTimeoutMs?: number;
  /** Failures of work that does not fail a publish (collecting unreferenced blobs). */
  readonly onError?: (err: unknown) => void;
}

export interface PublishResult {
  readonly revision: number;
  readonly hash: string;
  /** Resources written (added or changed) and deleted. */
  readonly written: number;
  readonly deleted: number;
  /** Of `written`, how many were stored as chunked blobs. */
  readonly offloaded: number;
}

const KIB = 1024;
const PAYLOAD_MARGIN = 8 * KIB;
const EMPTY = new Uint8Array(0);
/** Chunk keys deleted per publish at most (the rest go with the next publish). */
const MAX_COLLECT = 10_000;

/**
 * A cluster-keyed view of the config KV bucket, used by the control plane to publish snapshots
 * and by gateways to read and follow them (layout in config-kv-layout.ts).
 *
 * Publishing writes the resources that changed, deletes removed ones, then writes the manifest
 * (compare-and-set against the manifest it started from), so a reader that sees a manifest finds
 * every resource at the listed version unless a newer publish is under way; readers then retry
 * until the manifest catches up. One publisher per cluster at a time is assumed (the control
 * plane leader); publishes through one instance are serialized per cluster.
 */
export class NatsConfigBucket {
  readonly #nc: NatsConnection;
  readonly #kv: KV;
  readonly #inlineLimit: number;
  readonly #concurrency: number;
  readonly #barrierTimeoutMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #bucket: string;
  #manager: Promise<JetStreamManager> | undefined;
  /**
   * Publisher: what the bucket holds per cluster (key -> version) after this instance's last
   * publish, and the stream sequence of that publish's manifest. Trusted only while no message
   * of the cluster follows that sequence (see #trustedHeld).
   */
  readonly #held = new Map<
    string,
    { readonly versions: Map<string, string>; readonly manifestSeq: number }
  >();
  readonly #publishing = new Map<string, Promise<unknown>>();

  private constructor(nc: NatsConnection, kv: KV, options: NatsConfigBucketOptions) {
    this.#nc = nc;
    this.#bucket = options.bucket ?? DEFAULT_CONFIG_BUCKET;
    this.#kv = kv;
    const maxPayload = nc.info?.max_payload ?? 1024 * KIB;
    this.#inlineLimit = Math.max(
      MIN_BLOB_CHUNK_BYTES,
      Math.min(options.inlineLimitBytes ?? 512 * KIB, maxPayload - PAYLOAD_MARGIN),
    );
    this.#concurrency = options.concurrency ?? 256;
    this.#barrierTimeoutMs = options.barrierTimeoutMs ?? 10_000;
    this.#onError = options.onError ?? (() => undefined);
  }

  static async open(nc: NatsConnection, options: NatsConfigBucketOptions = {}): Promise<NatsConfigBucket> {
    const name = options.bucket ?? DEFAULT_CONFIG_BUCKET;
    const kv = await nc
      .jetstream()
      .views.kv(
        name,
        options.create === true
          ? { history: options.history ?? 1, replicas: options.replicas ?? 1 }
          : { bindOnly: true, allow_direct: options.allowDirect ?? true },
      );
    return new NatsConfigBucket(nc, kv, options);
  }

  /** Encoded values larger than this many bytes are stored as chunked blobs (chunks of this size). */
  get inlineLimitBytes(): number {
    return this.#inlineLimit;
  }

  /** Publishes `snapshot` as the current config of its cluster. */
  publish(snapshot: Snapshot): Promise<PublishResult> {
    const cluster = snapshot.cluster;
    const previous = this.#publishing.get(cluster) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.#publish(snapshot));
    this.#publishing.set(cluster, run);
    void run
      .finally(() => {
        if (this.#publishing.get(cluster) === run) this.#publishing.delete(cluster);
      })
      .catch(() => undefined);
    return run;
  }

  /** The cluster's current manifest, or undefined when nothing was published for it. */
  async readManifest(cluster: string): Promise<ConfigManifest | undefined> {
    const entry = await this.#kv.get(manifestKvKey(cluster));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return this.#resolveManifest(cluster, entry);
  }

  /**
   * The cluster's current snapshot, or undefined when nothing was published for it: reads the
   * manifest, then every resource at the version it lists, except those `options.held` (the
   * snapshot the caller serves) already has at that version. Resources that do not match yet (a
   * publish is under way) are retried, re-reading the manifest, until `barrierTimeoutMs` (then
   * UNAVAILABLE). The result is verified against the manifest's hash.
   */
  async readSnapshot(
    cluster: string,
    options: { readonly held?: Snapshot } = {},
  ): Promise<Snapshot | undefined> {
    const deadline = Date.now() + this.#barrierTimeoutMs;
    let manifest = await this.readManifest(cluster);
    const fetched = new Map<string, SnapshotResource>(options.held?.resources);
    let delay = 20;
    while (manifest !== undefined) {
      const current = manifest;
      const missing = () =>
        [...current.resources].filter(([key, version]) => fetched.get(key)?.version !== version);
      await mapConcurrent(missing(), this.#concurrency, async ([key, version]) => {
        const res = await this.#readResource(cluster, key, version);
        if (res !== undefined) fetched.set(key, res);
      });
      const stillMissing = missing();
      if (stillMissing.length === 0) {
        const resources = [...current.resources.keys()].map((key) => fetched.get(key) as SnapshotResource);
        return snapshotOfVerified(cluster, current.revision, resources, current.hash, current.epoch);
      }
      if (Date.now() >= deadline) {
        throw new HubpoError(
          'UNAVAILABLE',
          `config of cluster ${cluster} does not match its manifest (revision ${current.revision}): ` +
            `${stillMissing.length} resource(s) missing or at another version, e.g. ${stillMissing[0]?.[0]}`,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 500);
      manifest = await this.readManifest(cluster);
    }
    return undefined;
  }

  /** Calls `onManifest` with the cluster's manifest now (if any) and on every change. */
  watchManifest(
    cluster: string,
    onManifest: (manifest: ConfigManifest) => void | Promise<void>,
    options: ManifestWatchOptions = {},
  ): ManifestWatch {
    const watch = new NatsManifestWatch(
      this.#nc,
      this.#kv,
      manifestKvKey(cluster),
      (entry) => this.#resolveManifest(cluster, entry),
      onManifest,
      options,
    );
    watch.start();
    return watch;
  }

  async #publish(snapshot: Snapshot): Promise<PublishResult> {
    const { cluster } = snapshot;
    const manifestKey = manifestKvKey(cluster);
    const current = await this.#kv.get(manifestKey);
    const previous = current?.operation === 'PUT' ? this.#decodeManifestOrUndefined(current) : undefined;
    // Revisions compare within one epoch only: another epoch's manifest is replaced whatever its
    // revision (the control plane's database was recreated; ADR 0008).
    if (
      previous !== undefined &&
      previous.revision > snapshot.revision &&
      !isEpochReset(previous.epoch, snapshot.epoch)
    ) {
      throw new HubpoError(
        'CONFLICT',
        `cluster ${cluster} is at revision ${previous.revision}${epochNote(previous.epoch)}; ` +
          `refusing to publish older revision ${snapshot.revision}${epochNote(snapshot.epoch)}`,
      );
    }
    const held = (await this.#trustedHeld(cluster, current)) ?? (await this.#scanHeld(cluster));
    this.#held.delete(cluster); // unknown until this publish completes
    const { changed, removed } = diffSnapshot(held, snapshot);
    let offloaded = 0;
    await mapConcurrent(changed, this.#concurrency, async (res) => {
      if (await this.#putResource(cluster, res)) offloaded += 1;
    });
    await mapConcurrent(removed, this.#concurrency, async (key) => {
      const { kind, name } = parseResourceKey(key);
      await this.#kv.delete(resourceKvKey(cluster, kind, name));
    });
    const { manifest: written, seq } = await this.#writeManifest(cluster, snapshot, current);
    this.#held.set(cluster, { versions: snapshotVersions(snapshot), manifestSeq: seq });
    await this.#collectBlobs(cluster, [previous, written]).catch(this.#onError);
    return {
      revision: snapshot.revision,
      hash: snapshot.hash,
      written: changed.length,
      deleted: removed.length,
      offloaded,
    };
  }

  /**
   * What this instance last published for the cluster, if nothing has written to the cluster's
   * keys since (another publisher, an operator's `nats kv put`); else undefined (scan instead).
   */
  async #trustedHeld(cluster: string, current: KvEntry | null): Promise<Map<string, string> | undefined> {
    const held = this.#held.get(cluster);
    if (held === undefined || current === null || current.revision !== held.manifestSeq) return undefined;
    // STREAM.MSG.GET with next_by_subj (nats-server 2.9+): the first message of the cluster at or
    // after that sequence. nats.js v2 types list next_by_subj for direct get only.
    // Only resource keys count: blob chunks are collected after the manifest, and a chunk is
    // verified against its reference on every read.
    const query = {
      seq: held.manifestSeq + 1,
      next_by_subj: `$KV.${this.#bucket}.${clusterResourcesFilter(cluster)}`,
    };
    try {
      await (
        await this.#jsm()
      ).streams.getMessage(kvStreamName(this.#bucket), query as unknown as MsgRequest);
      return undefined; // something wrote to this cluster's resources after our manifest
    } catch (err) {
      if ((err as { code?: unknown }).code === '404') return held.versions;
      this.#onError(err);
      return undefined;
    }
  }

  /** What the bucket actually holds for a cluster, including leftovers of interrupted publishes. */
  async #scanHeld(cluster: string): Promise<Map<string, string>> {
    const kvKeys: string[] = [];
    for await (const kvKey of await this.#kv.keys(clusterResourcesFilter(cluster))) kvKeys.push(kvKey);
    const held = new Map<string, string>();
    await mapConcurrent(kvKeys, this.#concurrency, async (kvKey) => {
      let key: string;
      try {
        key = parseResourceKvKey(kvKey).key;
      } catch {
        return; // not a key this layout writes
      }
      const entry = await this.#kv.get(kvKey);
      if (entry === null || entry.operation !== 'PUT') return;
      try {
        const stored = storedResourceCodec.decode(entry.value);
        // A BlobRef this layout cannot read (an object-store blob of an older publisher) is
        // rewritten, so readers find every payload in the bucket.
        held.set(key, stored.blob === undefined || isBlobName(stored.blob.object) ? stored.version : '');
      } catch {
        held.set(key, ''); // unreadable: rewritten or deleted by this publish
      }
    });
    return held;
  }

  /** Writes one resource; true when its payload went to the object store. */
  async #putResource(cluster: string, res: SnapshotResource): Promise<boolean> {
    const key = resourceKvKey(cluster, res.kind, res.name);
    const inline = storedResourceCodec.encode(res);
    if (inline.length <= this.#inlineLimit) {
      await this.#kv.put(key, inline);
      return false;
    }
    const blob = await this.#putBlob(resourceBlobName(cluster, res.version, this.#inlineLimit), res.payload);
    const stored = { kind: res.kind, name: res.name, version: res.version, payload: EMPTY, blob };
    await this.#kv.put(key, storedResourceCodec.encode(stored));
    return true;
  }

  async #writeManifest(
    cluster: string,
    snapshot: Snapshot,
    current: KvEntry | null,
  ): Promise<{ manifest: Manifest; seq: number }> {
    let manifest: Manifest = {
      revision: snapshot.revision,
      hash: snapshot.hash,
      epoch: snapshot.epoch,
      publishedAtUnixMs: Date.now(),
      resources: snapshotVersions(snapshot),
    };
    let value = manifestCodec.encode(manifest);
    if (value.length > this.#inlineLimit) {
      const blob = await this.#putBlob(manifestBlobName(cluster, sha256Hex(value), this.#inlineLimit), value);
      manifest = { ...manifest, resources: new Map(), blob };
      value = manifestCodec.encode(manifest);
    }
    const key = manifestKvKey(cluster);
    try {
      const seq =
        current === null
          ? await this.#kv.create(key, value)
          : await this.#kv.update(key, value, current.revision);
      return { manifest, seq };
    } catch (err) {
      if (!/wrong last sequence|key exists/i.test(String(err))) throw err;
      throw new HubpoError(
        'CONFLICT',
        `manifest of cluster ${cluster} changed during publish (another publisher?)`,
        {
          cause: err,
        },
      );
    }
  }

  /**
   * Deletes the chunks of the cluster's blobs that neither the new nor the previous manifest
   * references (readers of the previous revision may still be fetching).
   */
  async #collectBlobs(cluster: string, manifests: readonly (Manifest | undefined)[]): Promise<void> {
    const keep = new Set<string>();
    for (const manifest of manifests) {
      if (manifest === undefined) continue;
      if (manifest.blob !== undefined) keep.add(manifest.blob.object);
      const resources =
        manifest.blob === undefined
          ? manifest.resources
          : (await this.#loadManifestBlob(cluster, manifest)).resources;
      for (const version of resources.values()) keep.add(`res.${version}`);
    }
    const stale: string[] = [];
    for await (const key of await this.#kv.keys(clusterBlobsFilter(cluster))) {
      let chunk;
      try {
        chunk = parseBlobChunkKvKey(key);
      } catch {
        continue; // not written by this layout: left alone
      }
      const kept = chunk.what === 'res' ? keep.has(`res.${chunk.id}`) : keep.has(chunk.object);
      if (!kept && stale.length < MAX_COLLECT) stale.push(key);
    }
    await mapConcurrent(stale, this.#concurrency, async (key) => {
      await this.#kv.delete(key);
    });
  }

  /** Writes `bytes` as chunks of the size `name` declares; the caller writes the reference after. */
  async #putBlob(name: string, bytes: Uint8Array): Promise<BlobRef> {
    const { chunkBytes } = parseBlobName(name);
    const indexes = Array.from({ length: Math.ceil(bytes.length / chunkBytes) }, (_, i) => i);
    await mapConcurrent(indexes, this.#concurrency, async (i) => {
      const chunk = bytes.subarray(i * chunkBytes, Math.min(bytes.length, (i + 1) * chunkBytes));
      await this.#kv.put(blobChunkKvKey(name, i), chunk);
    });
    return { object: name, size: bytes.length, sha256: sha256Hex(bytes) };
  }

  /**
   * The bytes of a blob of `cluster`, or undefined when it is not (or no longer) all there:
   * collected after a newer publish, still being written, or a reference of an older layout.
   */
  async #getBlob(cluster: string, ref: BlobRef): Promise<Uint8Array | undefined> {
    if (!isBlobName(ref.object)) return undefined;
    const name = parseBlobName(ref.object);
    const count = Math.ceil(ref.size / name.chunkBytes);
    if (name.cluster !== cluster || ref.size > MAX_BLOB_BYTES || count > MAX_BLOB_CHUNKS) {
      throw new HubpoError(
        'SNAPSHOT_INVALID',
        `blob ${ref.object} of ${ref.size} bytes is not one cluster ${cluster} may read`,
      );
    }
    const chunks: Uint8Array[] = new Array<Uint8Array>(count);
    let missing = false;
    await mapConcurrent(
      Array.from({ length: count }, (_, i) => i),
      this.#concurrency,
      async (i) => {
        const entry = await this.#kv.get(blobChunkKvKey(ref.object, i));
        if (entry === null || entry.operation !== 'PUT') missing = true;
        else chunks[i] = entry.value;
      },
    );
    if (missing) return undefined;
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== ref.size || sha256Hex(bytes) !== ref.sha256) {
      throw new HubpoError('SNAPSHOT_CORRUPT', `blob ${ref.object} does not match its reference`);
    }
    return bytes;
  }

  async #readResource(cluster: string, key: string, version: string): Promise<SnapshotResource | undefined> {
    const { kind, name } = parseResourceKey(key);
    const entry = await this.#kv.get(resourceKvKey(cluster, kind, name));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    const stored = storedResourceCodec.decode(entry.value);
    if (stored.version !== version) return undefined;
    const payload = stored.blob === undefined ? stored.payload : await this.#getBlob(cluster, stored.blob);
    if (payload === undefined) return undefined;
    if (payloadVersion(payload) !== version) {
      throw new HubpoError(
        'SNAPSHOT_CORRUPT',
        `${key} in cluster ${cluster} does not match its version ${version}`,
      );
    }
    return { kind, name, version, payload };
  }

  async #resolveManifest(cluster: string, entry: KvEntry): Promise<ConfigManifest> {
    let manifest = manifestCodec.decode(entry.value);
    if (manifest.blob !== undefined) manifest = await this.#loadManifestBlob(cluster, manifest);
    return {
      cluster,
      revision: manifest.revision,
      hash: manifest.hash,
      epoch: manifest.epoch,
      publishedAtUnixMs: manifest.publishedAtUnixMs,
      resources: manifest.resources,
    };
  }

  async #loadManifestBlob(cluster: string, pointer: Manifest): Promise<Manifest> {
    const ref = pointer.blob as BlobRef;
    const bytes = await this.#getBlob(cluster, ref);
    if (bytes === undefined) {
      throw new HubpoError(
        'UNAVAILABLE',
        `manifest blob ${ref.object} is gone (a newer revision was published)`,
      );
    }
    const full = manifestCodec.decode(bytes);
    if (
      full.revision !== pointer.revision ||
      full.hash !== pointer.hash ||
      full.epoch !== pointer.epoch ||
      full.blob !== undefined
    ) {
      throw new HubpoError('SNAPSHOT_CORRUPT', `manifest blob ${ref.object} does not match its pointer`);
    }
    return full;
  }

  #decodeManifestOrUndefined(entry: KvEntry): Manifest | undefined {
    try {
      return manifestCodec.decode(entry.value);
    } catch (err) {
      this.#onError(err);
      return undefined; // an unreadable manifest is replaced, not obeyed
    }
  }

  #jsm(): Promise<JetStreamManager> {
    this.#manager ??= this.#nc.jetstreamManager().catch((err: unknown) => {
      this.#manager = undefined;
      throw err;
    });
    return this.#manager;
  }
}

function epochNote(epoch: string): string {
  return epoch === '' ? '' : ` of epoch ${epoch}`;
}

function isBlobName(object: string): boolean {
  try {
    parseBlobName(object);
    return true;
  } catch {
    return false;
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
