/*
 * TypeScript forms of the messages of proto/hubpo/config/v1/config.proto, field for field
 * (camelCase names, as protobufjs and @grpc/proto-loader name them). Conventions:
 * - uint64 / int64 fields are `number` and must be safe integers (revisions come from a Postgres
 *   bigint sequence; times are Unix epoch milliseconds);
 * - map fields are `ReadonlyMap`, repeated fields readonly arrays, bytes `Uint8Array`;
 * - scalar fields are always present (proto3 defaults: 0, "", false, empty);
 * - message fields are optional: absent and present-but-empty differ on the wire.
 * The codec test round-trips every field of every message, so these types cannot drift from
 * the proto unnoticed.
 */
import type { SnapshotResource } from './snapshot.js';

/** Message `Node`: identity of one gateway process. */
export interface DiscoveryNode {
  readonly id: string;
  readonly cluster: string;
  readonly cloud: string;
  readonly region: string;
  readonly zone: string;
  readonly build: string;
  readonly labels: ReadonlyMap<string, string>;
}

/** Message `ErrorDetail`: why a gateway rejected a revision. `code` is a HUBPO_ERR_* code. */
export interface ErrorDetail {
  readonly code: string;
  readonly message: string;
}

/** Message `Heartbeat`. */
export interface Heartbeat {
  readonly sentAtUnixMs: number;
}

/**
 * Message `DiscoveryRequest` (gateway -> control plane): the first message of a stream, an ACK,
 * a NACK (`errorDetail` set) or a heartbeat (`heartbeat` set). See `discovery-protocol.ts`.
 */
export interface DiscoveryRequest {
  readonly node?: DiscoveryNode;
  readonly revision: number;
  readonly snapshotHash: string;
  /** `resourceKey` -> version; first message of a stream only. */
  readonly initialResourceVersions: ReadonlyMap<string, string>;
  readonly responseNonce: string;
  readonly errorDetail?: ErrorDetail;
  readonly heartbeat?: Heartbeat;
  /**
   * Epoch of `revision` ("" when none is held). Optional in this type only so that senders
   * older than epochs still type-check; on the wire it is always a string.
   */
  readonly epoch?: string;
}

/** Message `DiscoveryResponse` (control plane -> gateway): one whole revision, delta or full. */
export interface DiscoveryResponse {
  readonly revision: number;
  readonly snapshotHash: string;
  readonly nonce: string;
  readonly full: boolean;
  /** Message `Resource`, added or changed. */
  readonly resources: readonly SnapshotResource[];
  /** `resourceKey`s to drop. */
  readonly removed: readonly string[];
  readonly cluster: string;
  /** Epoch of `revision` (ADR 0008). */
  readonly epoch: string;
}

/** Message `BlobRef`: an object of the blob store. */
export interface BlobRef {
  readonly object: string;
  readonly size: number;
  /** Lowercase hex SHA-256 of the object. */
  readonly sha256: string;
}

/** Message `StoredResource`: value of a resource key of the config KV bucket. */
export interface StoredResource {
  readonly kind: string;
  readonly name: string;
  readonly version: string;
  /** Empty when `blob` is set. */
  readonly payload: Uint8Array;
  readonly blob?: BlobRef;
}

/** Message `Manifest`: value of a cluster's manifest key, the barrier of a revision. */
export interface Manifest {
  readonly revision: number;
  readonly hash: string;
  readonly publishedAtUnixMs: number;
  /** `resourceKey` -> version; empty when `blob` is set. */
  readonly resources: ReadonlyMap<string, string>;
  readonly blob?: BlobRef;
  /** Epoch of `revision` (ADR 0008); "" from publishers older than epochs. */
  readonly epoch: string;
}

/**
 * Message `ConfigAck`, published by gateways on `hubpo.config.ack.<cluster>.<node>`. Level-based:
 * `revision` / `hash` are what the gateway serves; `ok` = false reports that the newest revision
 * it saw (`rejectedRevision` / `rejectedHash`) was rejected with `error`.
 */
export interface ConfigAck {
  readonly nodeId: string;
  readonly cluster: string;
  readonly revision: number;
  readonly hash: string;
  readonly ok: boolean;
  readonly error?: ErrorDetail;
  /** When the gateway applied `revision` (Unix ms). */
  readonly appliedAtUnixMs: number;
  /** A periodic restatement rather than a new outcome. */
  readonly heartbeat: boolean;
  readonly rejectedRevision: number;
  readonly rejectedHash: string;
  /** Epoch of `revision` ("" when none is held, or from a gateway older than epochs). */
  readonly epoch: string;
}
