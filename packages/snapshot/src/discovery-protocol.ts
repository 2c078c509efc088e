/*
 * The ConfigDiscovery stream protocol (proto/hubpo/config/v1/config.proto), as pure functions
 * both ends share: what the control plane sends for a snapshot, how a gateway applies it, and the
 * four forms of gateway requests.
 */
import { HubpoError } from '@hubpo/core';
import type { DiscoveryNode, DiscoveryRequest, DiscoveryResponse, ErrorDetail } from './config-messages.js';
import { diffSnapshot } from './diff-snapshot.js';
import { resourceKey } from './resource-key.js';
import { snapshotOfVerified, snapshotVersions, verifyResourceVersions } from './snapshot.js';
import type { Snapshot, SnapshotResource } from './snapshot.js';

export interface DiscoveryResponseOptions {
  /** Unique per response on a stream. */
  readonly nonce: string;
  /**
   * Versions the gateway holds (`initialResourceVersions`, or the last ACKed snapshot). Absent:
   * send the full snapshot.
   */
  readonly held?: ReadonlyMap<string, string>;
  /** Send the full snapshot even when `held` is given (e.g. the gateway is too far behind). */
  readonly full?: boolean;
}

/** The response that brings a gateway holding `options.held` to `snapshot`. */
export function discoveryResponseFor(
  snapshot: Snapshot,
  options: DiscoveryResponseOptions,
): DiscoveryResponse {
  const base = {
    revision: snapshot.revision,
    snapshotHash: snapshot.hash,
    nonce: options.nonce,
    cluster: snapshot.cluster,
    epoch: snapshot.epoch,
  };
  if (options.held === undefined || options.full === true) {
    return { ...base, full: true, resources: [...snapshot.resources.values()], removed: [] };
  }
  const { changed, removed } = diffSnapshot(options.held, snapshot);
  return { ...base, full: false, resources: changed, removed };
}

/**
 * The snapshot a gateway holding `held` has after applying `response`: a full response replaces
 * everything, a delta adds, replaces and removes. Verifies the received payloads against their
 * versions and the result against `response.snapshotHash`; throws SNAPSHOT_INVALID (the gateway
 * NACKs and keeps serving `held`).
 */
export function applyDiscoveryResponse(held: Snapshot | undefined, response: DiscoveryResponse): Snapshot {
  verifyResourceVersions(response.resources);
  if (response.full) {
    return snapshotOfVerified(
      response.cluster,
      response.revision,
      response.resources,
      response.snapshotHash,
      response.epoch,
    );
  }
  if (held === undefined) {
    throw new HubpoError(
      'SNAPSHOT_INVALID',
      `delta response for revision ${response.revision} without a held snapshot`,
    );
  }
  if (held.cluster !== response.cluster) {
    throw new HubpoError(
      'SNAPSHOT_INVALID',
      `response for cluster ${response.cluster}, holding ${held.cluster}`,
    );
  }
  const merged = new Map<string, SnapshotResource>(held.resources);
  for (const key of response.removed) merged.delete(key);
  for (const res of response.resources) merged.set(resourceKey(res.kind, res.name), res);
  return snapshotOfVerified(
    response.cluster,
    response.revision,
    [...merged.values()],
    response.snapshotHash,
    response.epoch,
  );
}

export type DiscoveryRequestKind = 'initial' | 'ack' | 'nack' | 'heartbeat';

/** Which of the four forms a request is. */
export function discoveryRequestKind(request: DiscoveryRequest): DiscoveryRequestKind {
  if (request.heartbeat !== undefined) return 'heartbeat';
  if (request.responseNonce !== '') return request.errorDetail === undefined ? 'ack' : 'nack';
  return 'initial';
}

/** First message of a stream: who the gateway is and what it holds (nothing, after a cold boot). */
export function initialDiscoveryRequest(node: DiscoveryNode, held?: Snapshot): DiscoveryRequest {
  return {
    node,
    ...holding(held),
    initialResourceVersions: held === undefined ? new Map() : snapshotVersions(held),
    responseNonce: '',
  };
}

/** ACK of the response with `nonce`, after applying it as `applied`. */
export function ackDiscoveryRequest(nonce: string, applied: Snapshot): DiscoveryRequest {
  return { ...holding(applied), initialResourceVersions: new Map(), responseNonce: nonce };
}

/** NACK of the response with `nonce`; the gateway keeps serving `serving`. */
export function nackDiscoveryRequest(
  nonce: string,
  serving: Snapshot | undefined,
  error: ErrorDetail,
): DiscoveryRequest {
  return {
    ...holding(serving),
    initialResourceVersions: new Map(),
    responseNonce: nonce,
    errorDetail: error,
  };
}

export function heartbeatDiscoveryRequest(
  serving: Snapshot | undefined,
  nowUnixMs: number,
): DiscoveryRequest {
  return {
    ...holding(serving),
    initialResourceVersions: new Map(),
    responseNonce: '',
    heartbeat: { sentAtUnixMs: nowUnixMs },
  };
}

function holding(snapshot: Snapshot | undefined): { revision: number; snapshotHash: string; epoch: string } {
  return snapshot === undefined
    ? { revision: 0, snapshotHash: '', epoch: '' }
    : { revision: snapshot.revision, snapshotHash: snapshot.hash, epoch: snapshot.epoch };
}
