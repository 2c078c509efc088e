import {
  ackSubject,
  ackSubjectFilter,
  blobChunkKvKey,
  clusterBlobsFilter,
  clusterResourcesFilter,
  manifestBlobName,
  manifestKvKey,
  parseBlobChunkKvKey,
  parseBlobName,
  parseResourceKvKey,
  resourceBlobName,
  resourceKvKey,
} from './config-kv-layout.js';

const kvKey = /^[-/_=.a-zA-Z0-9]+$/;

describe('config KV layout', () => {
  it('puts each name in one token of a valid key, and reads the key back', () => {
    const key = resourceKvKey('prod.eu', 'Route', 'default/api.v1');
    expect(key).toBe('prod=2Eeu.res.Route.default/api=2Ev1');
    expect(key).toMatch(kvKey);
    expect(parseResourceKvKey(key)).toEqual({ cluster: 'prod.eu', key: 'Route/default/api.v1' });
  });

  it('keeps clusters apart even when names look alike', () => {
    expect(manifestKvKey('a.res')).not.toBe(manifestKvKey('a'));
    expect(resourceKvKey('a', 'res', 'x')).not.toBe(resourceKvKey('a.res', 'x', 'y'));
    expect(manifestKvKey('prod')).toBe('prod.manifest');
  });

  it('names ack subjects per cluster and node, wildcard-safe', () => {
    expect(ackSubject('prod', 'gw-1')).toBe('hubpo.config.ack.prod.gw-1');
    expect(ackSubject('prod', 'gw.*')).toBe('hubpo.config.ack.prod.gw=2E=2A');
    expect(ackSubjectFilter('prod')).toBe('hubpo.config.ack.prod.*');
    expect(ackSubjectFilter()).toBe('hubpo.config.ack.*.*');
  });

  it('rejects keys it did not write', () => {
    expect(() => parseResourceKvKey('prod.manifest')).toThrow();
    expect(() => parseResourceKvKey('prod.res.Route')).toThrow();
  });

  it('keeps blob chunks in the bucket, apart from resources, and reads their names back', () => {
    const name = resourceBlobName('prod.eu', '0123456789abcdef', 524_288);
    expect(name).toBe('prod=2Eeu.blob.res.0123456789abcdef.524288');
    const chunk = blobChunkKvKey(name, 3);
    expect(chunk).toMatch(kvKey);
    expect(parseBlobChunkKvKey(chunk)).toEqual({
      cluster: 'prod.eu',
      what: 'res',
      id: '0123456789abcdef',
      chunkBytes: 524_288,
      object: name,
      index: 3,
    });
    // The publisher's resource scan and its blob collection never see each other's keys.
    expect(chunk.startsWith(clusterResourcesFilter('prod.eu').slice(0, -1))).toBe(false);
    expect(chunk.startsWith(clusterBlobsFilter('prod.eu').slice(0, -1))).toBe(true);
    expect(() => parseResourceKvKey(chunk)).toThrow();
    const sha = 'ab'.repeat(32);
    expect(parseBlobName(manifestBlobName('prod', sha, 2048))).toMatchObject({ what: 'manifest', id: sha });
  });

  it('refuses blob names it did not write, such as object-store names of the old layout', () => {
    expect(() => parseBlobName('prod.res.0123456789abcdef')).toThrow();
    expect(() => parseBlobName('prod.blob.res.0123456789abcdef.12')).toThrow(); // chunk too small
    expect(() => parseBlobName('prod.blob.res.not-hex.4096')).toThrow();
    expect(() => parseBlobChunkKvKey('prod.blob.res.0123456789abcdef.4096.x')).toThrow();
    expect(() => resourceBlobName('prod', '../../etc', 4096)).toThrow();
  });
});
