/*
 * Names in the NATS JetStream layout of config distribution. Every name part is one escaped
 * token (see key-token.ts), so any cluster, kind, resource or node name is safe in a key or
 * subject and can be read back.
 *
 *   KV bucket "hubpo-config":
 *     <cluster>.res.<kind>.<name>      StoredResource
 *     <cluster>.manifest               Manifest (the barrier, written last)
 *   Object store "hubpo-config-blobs":
 *     <cluster>.res.<version>          payload of a resource too large for a KV message
 *     <cluster>.manifest.<sha256>      an encoded Manifest too large for a KV message
 *   Subjects:
 *     hubpo.config.ack.<cluster>.<node>  ConfigAck (ACK, NACK, heartbeat)
 */
import { HubpoError } from '@hubpo/core';
import { escapeKeyToken, unescapeKeyToken } from './key-token.js';
import { resourceKey } from './resource-key.js';

export const DEFAULT_CONFIG_BUCKET = 'hubpo-config';
export const DEFAULT_BLOB_BUCKET = 'hubpo-config-blobs';
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

export function resourceBlobName(cluster: string, version: string): string {
  return `${escapeKeyToken(cluster)}.res.${version}`;
}

export function manifestBlobName(cluster: string, sha256: string): string {
  return `${escapeKeyToken(cluster)}.manifest.${sha256}`;
}

/** Prefix of every blob name of a cluster. */
export function clusterBlobPrefix(cluster: string): string {
  return `${escapeKeyToken(cluster)}.`;
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
