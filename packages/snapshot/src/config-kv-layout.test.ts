import {
  ackSubject,
  ackSubjectFilter,
  manifestKvKey,
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
    expect(resourceBlobName('prod', '0123456789abcdef')).toBe('prod.res.0123456789abcdef');
  });
});
