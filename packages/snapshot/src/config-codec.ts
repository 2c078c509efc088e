/*
 * Protobuf codecs for the messages of hubpo.config.v1, built from the generated JSON descriptor
 * (no .proto file is read at runtime). Decode failures are SNAPSHOT_CORRUPT; values the wire
 * cannot carry exactly (a revision that is not a safe integer, ...) are SNAPSHOT_INVALID.
 */
import type {
  BlobRef,
  ConfigAck,
  DiscoveryNode,
  DiscoveryRequest,
  DiscoveryResponse,
  ErrorDetail,
  Manifest,
  StoredResource,
} from './config-messages.js';
import { configV1Descriptor } from './generated/index.js';
import { MessageCodec, loadRoot, wireLong, wireMap } from './proto-codec.js';
import type { WireFields, WireObject } from './proto-codec.js';
import { assembleSnapshot, assertEpoch } from './snapshot.js';
import type { Snapshot, SnapshotResource } from './snapshot.js';

const root = loadRoot(configV1Descriptor);
const pkg = 'hubpo.config.v1';

const nodeToWire = (n: DiscoveryNode): WireObject => ({ ...n, labels: wireMap(n.labels) });
const nodeFromWire = (f: WireFields): DiscoveryNode => ({
  id: f.string('id'),
  cluster: f.string('cluster'),
  cloud: f.string('cloud'),
  region: f.string('region'),
  zone: f.string('zone'),
  build: f.string('build'),
  labels: f.stringMap('labels'),
});

const errorFromWire = (f: WireFields): ErrorDetail => ({
  code: f.string('code'),
  message: f.string('message'),
});

const resourceToWire = (r: SnapshotResource): WireObject => ({
  kind: r.kind,
  name: r.name,
  version: r.version,
  payload: r.payload,
});
const resourceFromWire = (f: WireFields): SnapshotResource => ({
  kind: f.string('kind'),
  name: f.string('name'),
  version: f.string('version'),
  payload: f.bytes('payload'),
});

const blobToWire = (b: BlobRef): WireObject => ({ ...b, size: wireLong(b.size, 'BlobRef.size') });
const blobFromWire = (f: WireFields): BlobRef => ({
  object: f.string('object'),
  size: f.long('size'),
  sha256: f.string('sha256'),
});

/** The `epoch` field, limited like every epoch (a peer cannot make it a megabyte). */
const epochFromWire = (f: WireFields): string => assertEpoch(f.string('epoch'));

/** Adds `key: value` when value is defined (exactOptionalPropertyTypes forbids `key: undefined`). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export const discoveryRequestCodec = new MessageCodec<DiscoveryRequest>(
  root,
  `${pkg}.DiscoveryRequest`,
  (m) => ({
    node: m.node === undefined ? undefined : nodeToWire(m.node),
    revision: wireLong(m.revision, 'DiscoveryRequest.revision'),
    snapshotHash: m.snapshotHash,
    initialResourceVersions: wireMap(m.initialResourceVersions),
    responseNonce: m.responseNonce,
    errorDetail: m.errorDetail,
    heartbeat:
      m.heartbeat === undefined
        ? undefined
        : { sentAtUnixMs: wireLong(m.heartbeat.sentAtUnixMs, 'Heartbeat.sentAtUnixMs', true) },
    epoch: assertEpoch(m.epoch ?? ''),
  }),
  (f) => ({
    ...optional('node', f.message('node', nodeFromWire)),
    revision: f.long('revision'),
    snapshotHash: f.string('snapshotHash'),
    initialResourceVersions: f.stringMap('initialResourceVersions'),
    responseNonce: f.string('responseNonce'),
    ...optional('errorDetail', f.message('errorDetail', errorFromWire)),
    ...optional(
      'heartbeat',
      f.message('heartbeat', (h) => ({ sentAtUnixMs: h.long('sentAtUnixMs') })),
    ),
    epoch: epochFromWire(f),
  }),
  'SNAPSHOT_CORRUPT',
);

export const discoveryResponseCodec = new MessageCodec<DiscoveryResponse>(
  root,
  `${pkg}.DiscoveryResponse`,
  (m) => ({
    revision: wireLong(m.revision, 'DiscoveryResponse.revision'),
    snapshotHash: m.snapshotHash,
    nonce: m.nonce,
    full: m.full,
    resources: m.resources.map(resourceToWire),
    removed: m.removed,
    cluster: m.cluster,
    epoch: assertEpoch(m.epoch),
  }),
  (f) => ({
    revision: f.long('revision'),
    snapshotHash: f.string('snapshotHash'),
    nonce: f.string('nonce'),
    full: f.bool('full'),
    resources: f.messages('resources', resourceFromWire),
    removed: f.strings('removed'),
    cluster: f.string('cluster'),
    epoch: epochFromWire(f),
  }),
  'SNAPSHOT_CORRUPT',
);

/** Message `Snapshot`; decoding also verifies versions and the hash (see `assembleSnapshot`). */
export const snapshotCodec = new MessageCodec<Snapshot>(
  root,
  `${pkg}.Snapshot`,
  (s) => ({
    cluster: s.cluster,
    revision: wireLong(s.revision, 'Snapshot.revision'),
    hash: s.hash,
    resources: [...s.resources.values()].map(resourceToWire),
    epoch: assertEpoch(s.epoch),
  }),
  (f) =>
    assembleSnapshot(
      f.string('cluster'),
      f.long('revision'),
      f.messages('resources', resourceFromWire),
      f.string('hash'),
      epochFromWire(f),
    ),
  'SNAPSHOT_CORRUPT',
);

export const storedResourceCodec = new MessageCodec<StoredResource>(
  root,
  `${pkg}.StoredResource`,
  (r) => ({ ...resourceToWire(r), blob: r.blob === undefined ? undefined : blobToWire(r.blob) }),
  (f) => ({ ...resourceFromWire(f), ...optional('blob', f.message('blob', blobFromWire)) }),
  'SNAPSHOT_CORRUPT',
);

export const manifestCodec = new MessageCodec<Manifest>(
  root,
  `${pkg}.Manifest`,
  (m) => ({
    revision: wireLong(m.revision, 'Manifest.revision'),
    hash: m.hash,
    publishedAtUnixMs: wireLong(m.publishedAtUnixMs, 'Manifest.publishedAtUnixMs', true),
    resources: wireMap(m.resources),
    blob: m.blob === undefined ? undefined : blobToWire(m.blob),
    epoch: assertEpoch(m.epoch),
  }),
  (f) => ({
    revision: f.long('revision'),
    hash: f.string('hash'),
    publishedAtUnixMs: f.long('publishedAtUnixMs'),
    resources: f.stringMap('resources'),
    ...optional('blob', f.message('blob', blobFromWire)),
    epoch: epochFromWire(f),
  }),
  'SNAPSHOT_CORRUPT',
);

export const configAckCodec = new MessageCodec<ConfigAck>(
  root,
  `${pkg}.ConfigAck`,
  (a) => ({
    nodeId: a.nodeId,
    cluster: a.cluster,
    revision: wireLong(a.revision, 'ConfigAck.revision'),
    hash: a.hash,
    ok: a.ok,
    error: a.error,
    appliedAtUnixMs: wireLong(a.appliedAtUnixMs, 'ConfigAck.appliedAtUnixMs', true),
    heartbeat: a.heartbeat,
    rejectedRevision: wireLong(a.rejectedRevision, 'ConfigAck.rejectedRevision'),
    rejectedHash: a.rejectedHash,
    epoch: assertEpoch(a.epoch),
  }),
  (f) => ({
    nodeId: f.string('nodeId'),
    cluster: f.string('cluster'),
    revision: f.long('revision'),
    hash: f.string('hash'),
    ok: f.bool('ok'),
    ...optional('error', f.message('error', errorFromWire)),
    appliedAtUnixMs: f.long('appliedAtUnixMs'),
    heartbeat: f.bool('heartbeat'),
    rejectedRevision: f.long('rejectedRevision'),
    rejectedHash: f.string('rejectedHash'),
    epoch: epochFromWire(f),
  }),
  'SNAPSHOT_CORRUPT',
);

export const encodeDiscoveryRequest = (m: DiscoveryRequest): Buffer => discoveryRequestCodec.encode(m);
export const decodeDiscoveryRequest = (b: Uint8Array): DiscoveryRequest => discoveryRequestCodec.decode(b);
export const encodeDiscoveryResponse = (m: DiscoveryResponse): Buffer => discoveryResponseCodec.encode(m);
export const decodeDiscoveryResponse = (b: Uint8Array): DiscoveryResponse => discoveryResponseCodec.decode(b);
export const encodeSnapshot = (s: Snapshot): Buffer => snapshotCodec.encode(s);
export const decodeSnapshot = (b: Uint8Array): Snapshot => snapshotCodec.decode(b);
export const encodeConfigAck = (a: ConfigAck): Buffer => configAckCodec.encode(a);
export const decodeConfigAck = (b: Uint8Array): ConfigAck => configAckCodec.decode(b);
