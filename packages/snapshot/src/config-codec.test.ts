import { fromJSON } from '@grpc/proto-loader';
import { HubpoError } from '@hubpo/core';
import {
  configAckCodec,
  decodeConfigAck,
  encodeConfigAck,
  decodeDiscoveryRequest,
  decodeDiscoveryResponse,
  discoveryRequestCodec,
  discoveryResponseCodec,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
  manifestCodec,
  snapshotCodec,
  storedResourceCodec,
} from './config-codec.js';
import type {
  ConfigAck,
  DiscoveryNode,
  DiscoveryRequest,
  DiscoveryResponse,
  Manifest,
  StoredResource,
} from './config-messages.js';
import { configV1Descriptor } from './generated/index.js';
import { buildSnapshot } from './snapshot.js';
import { sampleObjects } from './testdata/fixtures.js';

// Every field set to a non-default value, so a field the codec drops or mistypes shows up.
const node = (): DiscoveryNode => ({
  id: 'gw-7f9c',
  cluster: 'prod-eu',
  cloud: 'aws',
  region: 'eu-west-1',
  zone: 'eu-west-1a',
  build: '0.1.0+abc123',
  labels: new Map([
    ['tier', 'edge'],
    ['team', 'platform'],
  ]),
});

const fullRequest = (): DiscoveryRequest => ({
  node: node(),
  revision: 2 ** 53 - 1,
  snapshotHash: '0123456789abcdef',
  initialResourceVersions: new Map([
    ['Route/default/web', 'aaaaaaaaaaaaaaaa'],
    ['AIModel/gpt', 'bbbbbbbbbbbbbbbb'],
  ]),
  responseNonce: 'n-42',
  errorDetail: { code: 'HUBPO_ERR_SNAPSHOT_INVALID', message: 'Route/default/web: bad regex' },
  heartbeat: { sentAtUnixMs: 1_767_225_600_123 },
  epoch: 'epoch-a',
});

const fullResponse = (): DiscoveryResponse => {
  const snap = buildSnapshot('prod-eu', 42, sampleObjects());
  return {
    revision: 42,
    snapshotHash: snap.hash,
    nonce: 'n-43',
    full: true,
    resources: [...snap.resources.values()],
    removed: ['Route/gone', 'Policy/old'],
    cluster: 'prod-eu',
    epoch: '0b5c7a1e-2f4d-4c8e-9a6b-1d2e3f405162',
  };
};

const fullStoredResource = (): StoredResource => ({
  kind: 'Route',
  name: 'default/web',
  version: 'cccccccccccccccc',
  payload: Buffer.from('{"a":1}'),
  blob: { object: 'prod.res.cccccccccccccccc', size: 3 * 1024 * 1024, sha256: 'ab'.repeat(32) },
});

const fullManifest = (): Manifest => ({
  revision: 99,
  hash: 'dddddddddddddddd',
  publishedAtUnixMs: 1_767_225_600_000,
  resources: new Map([['Route/a', 'eeeeeeeeeeeeeeee']]),
  blob: { object: 'prod.manifest.ff', size: 10, sha256: 'cd'.repeat(32) },
  epoch: 'epoch-b',
});

const fullAck = (): ConfigAck => ({
  nodeId: 'gw-1',
  cluster: 'prod-eu',
  revision: 41,
  hash: '1111111111111111',
  ok: false,
  error: { code: 'HUBPO_ERR_SNAPSHOT_INVALID', message: 'bad' },
  appliedAtUnixMs: 1_767_225_600_001,
  heartbeat: true,
  rejectedRevision: 42,
  rejectedHash: '2222222222222222',
  epoch: 'epoch-c',
});

const messageFields = (type: string): string[] =>
  Object.keys(
    (configV1Descriptor.nested.hubpo.nested.config.nested.v1.nested as Record<string, any>)[type].fields,
  );

/** The keys of a TypeScript message value are exactly the fields of its proto message. */
function expectCoversEveryField(type: string, value: object): void {
  expect(Object.keys(value).sort()).toEqual(messageFields(type).sort());
}

describe('hubpo.config.v1 codecs', () => {
  it.each([
    ['DiscoveryRequest', discoveryRequestCodec, fullRequest],
    ['DiscoveryResponse', discoveryResponseCodec, fullResponse],
    ['StoredResource', storedResourceCodec, fullStoredResource],
    ['Manifest', manifestCodec, fullManifest],
    ['ConfigAck', configAckCodec, fullAck],
  ] as const)('round-trips every field of %s', (type, codec, make) => {
    const value = make();
    expectCoversEveryField(type, value);
    const decoded = (codec as any).decode((codec as any).encode(value));
    expect(normalize(decoded)).toEqual(normalize(value));
  });

  it('round-trips every field of Node, ErrorDetail and Heartbeat', () => {
    const req = fullRequest();
    expectCoversEveryField('Node', req.node!);
    expectCoversEveryField('ErrorDetail', req.errorDetail!);
    expectCoversEveryField('Heartbeat', req.heartbeat!);
    expectCoversEveryField('Resource', fullResponse().resources[0]!);
    expectCoversEveryField('BlobRef', fullStoredResource().blob!);
    const decoded = decodeDiscoveryRequest(encodeDiscoveryRequest(req));
    expect(decoded.node).toEqual(req.node);
    expect(decoded.errorDetail).toEqual(req.errorDetail);
    expect(decoded.heartbeat).toEqual(req.heartbeat);
  });

  it('round-trips a Snapshot message, verifying it on decode', () => {
    const snap = buildSnapshot('prod', 5, sampleObjects(), 'epoch-1');
    expectCoversEveryField('Snapshot', snap);
    const decoded = snapshotCodec.decode(snapshotCodec.encode(snap));
    expect(decoded.hash).toBe(snap.hash);
    expect(decoded.epoch).toBe('epoch-1');
    expect(normalize([...decoded.resources])).toEqual(normalize([...snap.resources]));
    const wrongHash = snapshotCodec.encode({ ...snap, hash: 'ffffffffffffffff' });
    expect(() => snapshotCodec.decode(wrongHash)).toThrow(/expected ffffffffffffffff/);
  });

  it('fills proto3 defaults and keeps absent messages absent, present empty ones present', () => {
    const minimal: DiscoveryRequest = {
      revision: 0,
      snapshotHash: '',
      initialResourceVersions: new Map(),
      responseNonce: 'n',
      errorDetail: { code: '', message: '' },
      epoch: '',
    };
    const decoded = decodeDiscoveryRequest(encodeDiscoveryRequest(minimal));
    expect(decoded).toEqual(minimal);
    expect('node' in decoded).toBe(false);
    expect('heartbeat' in decoded).toBe(false);
    expect(decoded.errorDetail).toEqual({ code: '', message: '' });
  });

  it('reads messages of senders older than epochs as epoch "" and refuses oversized epochs', () => {
    const [wire] = protoLoaderTypes('ConfigAck');
    const old = wire.serialize({ nodeId: 'gw', cluster: 'c', revision: '7', hash: 'h', ok: true });
    expect(decodeConfigAck(old).epoch).toBe('');
    const huge = wire.serialize({ nodeId: 'gw', cluster: 'c', epoch: 'e'.repeat(65) });
    expect(() => decodeConfigAck(huge)).toThrow(/epoch must be at most 64 characters/);
    expect(() => encodeConfigAck({ ...fullAck(), epoch: 'not an epoch!' })).toThrow(/epoch/);
  });

  it('refuses 64-bit values it cannot carry exactly', () => {
    expect(() => encodeDiscoveryRequest({ ...fullRequest(), revision: 2 ** 53 })).toThrow(/safe integer/);
    expect(() => encodeDiscoveryRequest({ ...fullRequest(), revision: -1 })).toThrow(/safe integer/);
    // A peer may send a uint64 beyond 2^53: decoding refuses it rather than rounding.
    const [wire] = protoLoaderTypes('DiscoveryResponse');
    const bytes = wire.serialize({ revision: '9007199254740993', cluster: 'x' });
    expect(() => decodeDiscoveryResponse(bytes)).toThrow(/not a safe integer/);
  });

  it('reports undecodable bytes as SNAPSHOT_CORRUPT', () => {
    const truncated = encodeDiscoveryResponse(fullResponse()).subarray(0, 40);
    let caught: unknown;
    try {
      decodeDiscoveryResponse(truncated);
    } catch (err) {
      caught = err;
    }
    expect(HubpoError.is(caught, 'SNAPSHOT_CORRUPT')).toBe(true);
    expect(() => decodeDiscoveryRequest(Uint8Array.of(0x0a, 0xff))).toThrow(
      /cannot decode hubpo.config.v1.DiscoveryRequest/,
    );
  });

  it('interoperates with @grpc/proto-loader serializers (another protobufjs build)', () => {
    const [responseType] = protoLoaderTypes('DiscoveryResponse');
    const response = fullResponse();
    const theirs = responseType.deserialize(encodeDiscoveryResponse(response)) as any;
    expect(theirs.nonce).toBe(response.nonce);
    expect(theirs.resources[0].payload).toEqual(Buffer.from(response.resources[0]!.payload));
    const ours = decodeDiscoveryResponse(responseType.serialize(theirs));
    expect(normalize(ours)).toEqual(normalize(response));
  });
});

function protoLoaderTypes(name: string): [{ serialize(v: object): Buffer; deserialize(b: Buffer): object }] {
  const pkg = fromJSON(configV1Descriptor as any, { longs: String, defaults: true });
  return [pkg[`hubpo.config.v1.${name}`] as any];
}

/** Compares bytes by content (Buffer vs Uint8Array) and maps by entries. */
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value);
  if (value instanceof Map) return [...value].map(([k, v]) => [k, normalize(v)]);
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}
