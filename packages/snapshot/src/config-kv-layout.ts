/*
 * Names in the NATS JetStream layout of config distribution. Every name part is one escaped
 * token (see key-token.ts), so any cluster, kind, resource or node name is safe in a key or
 * subject and can be read back. Everything a gateway reads lives in the one KV bucket, so a leaf
 * node needs a mirror of one stream (KV_<bucket>) to serve it (ADR 0002, addendum).
 *
 *   KV bucket "hubpo-config" (stream KV_hubpo-config):
 *     <cluster>.res.<kind>.<name>                      StoredResource
 *     <cluster>.manifest                               Manifest (the barrier, written last)
 *     <cluster>.blob.res.<version>.<chunkBytes>.<i>    chunk i of a resource payload too large
 *                                                      for a KV message
 *     <cluster>.blob.manifest.<sha256>.<chunkBytes>.<i>  chunk i of an encoded Manifest too large
 *                                                      for a KV message
 *   Subjects:
 *     hubpo.config.ack.<cluster>.<node>  ConfigAck (ACK, NACK, heartbeat)
 *
 * A blob's name (a BlobRef's `object`) is the chunk key prefix `<cluster>.blob.<what>.<id>.
 * <chunkBytes>`: every chunk but the last holds exactly `chunkBytes` bytes, so the name and the
 * size fix the chunk count, and the same content chunked differently gets other keys.
 */
import { HubpoError } from '@hubpo/core';
import { escapeKeyToken, unescapeKeyToken } from './key-token.js';
import { resourceKey } from './resource-key.js';

export const DEFAULT_CONFIG_BUCKET = 'hubpo-config';
export const CONFIG_ACK_SUBJECT_PREFIX = 'hubpo.config.ack';

export function resourceKvKey(cluster: string, kind: string, name: string): string {
  return `${escapeKeyToken(cluster)}.res.${escapeKeyToken(kind)}.${escapeKeyToken(name)}`;
}

/** The resource key (`kind/name`) a KV key of `resourceKvKey` names. */
export function parseResourceKvKey(key: string): { readonly cluster: string; readonly key: string } {
  const parts = key.split('.');
  const [cluster, res, kind, name] = parts;
  if (
    parts.length !== 4 ||
    res !== 'res' ||
    cluster === undefined ||
    kind === undefined ||
    name === undefined
  ) {
    throw new HubpoError('SNAPSHOT_INVALID', `not a resource KV key: ${JSON.stringify(key)}`);
  }
  return {
    cluster: unescapeKeyToken(cluster),
    key: resourceKey(unescapeKeyToken(kind), unescapeKeyToken(name)),
  };
}

/** KV key filter matching every resource key of a cluster. */
export function clusterResourcesFilter(cluster: string): string {
  return `${escapeKeyToken(cluster)}.res.>`;
}

/** KV key filter matching every key of a cluster (resources and manifest). */
export function clusterKeysFilter(cluster: string): string {
  return `${escapeKeyToken(cluster)}.>`;
}

export function manifestKvKey(cluster: string): string {
  return `${escapeKeyToken(cluster)}.manifest`;
}

/** What a blob holds: a resource payload (id = its version) or a manifest (id = its SHA-256). */
export type BlobKind = 'res' | 'manifest';

export interface BlobName {
  readonly cluster: string;
  readonly what: BlobKind;
  /** The resource version or the manifest's SHA-256 (lowercase hex). */
  readonly id: string;
  /** Size of every chunk but the last. */
  readonly chunkBytes: number;
}

const HEX_ID = /^[0-9a-f]{16,64}$/;
/** Readers refuse BlobRefs above these limits (the gRPC driver's 256 MiB receive limit). */
export const MAX_BLOB_BYTES = 256 * 1024 * 1024;
export const MAX_BLOB_CHUNKS = 65_536;
/** Smallest chunk a blob name may declare. */
export const MIN_BLOB_CHUNK_BYTES = 1024;

export function resourceBlobName(cluster: string, version: string, chunkBytes: number): string {
  return blobName({ cluster, what: 'res', id: version, chunkBytes });
}

export function manifestBlobName(cluster: string, sha256: string, chunkBytes: number): string {
  return blobName({ cluster, what: 'manifest', id: sha256, chunkBytes });
}

function blobName(name: BlobName): string {
  if (!HEX_ID.test(name.id) || !isChunkSize(name.chunkBytes)) {
    throw new HubpoError(
      'SNAPSHOT_INVALID',
      `not a valid blob id or chunk size: ${name.id} ${name.chunkBytes}`,
    );
  }
  return `${escapeKeyToken(name.cluster)}.blob.${name.what}.${name.id}.${name.chunkBytes}`;
}

/**
 * Reads a blob name back; throws SNAPSHOT_INVALID for anything else, e.g. the object-store names
 * of BlobRefs written before blobs moved into the KV bucket.
 */
export function parseBlobName(object: string): BlobName {
  const parts = object.split('.');
  const [cluster, blob, what, id, chunk] = parts;
  const chunkBytes = Number(chunk);
  if (
    parts.length !== 5 ||
    cluster === undefined ||
    blob !== 'blob' ||
    (what !== 'res' && what !== 'manifest') ||
    id === undefined ||
    !HEX_ID.test(id) ||
    chunk !== String(chunkBytes) ||
    !isChunkSize(chunkBytes)
  ) {
    throw new HubpoError('SNAPSHOT_INVALID', `not a blob name: ${JSON.stringify(object)}`);
  }
  return { cluster: unescapeKeyToken(cluster), what, id, chunkBytes };
}

function isChunkSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= MIN_BLOB_CHUNK_BYTES;
}

/** KV key of chunk `index` (0-based) of blob `object`. */
export function blobChunkKvKey(object: string, index: number): string {
  return `${object}.${index}`;
}

/** The blob a chunk key belongs to; throws SNAPSHOT_INVALID for other keys. */
export function parseBlobChunkKvKey(
  key: string,
): BlobName & { readonly object: string; readonly index: number } {
  const dot = key.lastIndexOf('.');
  const object = key.slice(0, dot);
  const index = Number(key.slice(dot + 1));
  if (dot < 0 || key.slice(dot + 1) !== String(index) || !Number.isSafeInteger(index) || index < 0) {
    throw new HubpoError('SNAPSHOT_INVALID', `not a blob chunk key: ${JSON.stringify(key)}`);
  }
  return { ...parseBlobName(object), object, index };
}

/** KV key filter matching every blob chunk of a cluster. */
export function clusterBlobsFilter(cluster: string): string {
  return `${escapeKeyToken(cluster)}.blob.>`;
}

/** Name of the JetStream stream behind a KV bucket (what a leaf node mirrors). */
export function kvStreamName(bucket: string): string {
  return `KV_${bucket}`;
}

export function ackSubject(cluster: string, nodeId: string): string {
  return `${CONFIG_ACK_SUBJECT_PREFIX}.${escapeKeyToken(cluster)}.${escapeKeyToken(nodeId)}`;
}

/** Subscription subject for the ACKs of one cluster, or of every cluster. */
export function ackSubjectFilter(cluster?: string): string {
  return cluster === undefined
    ? `${CONFIG_ACK_SUBJECT_PREFIX}.*.*`
    : `${CONFIG_ACK_SUBJECT_PREFIX}.${escapeKeyToken(cluster)}.*`;
}
