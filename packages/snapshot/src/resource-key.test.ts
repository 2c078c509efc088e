import { parseResourceKey, resourceKey } from './resource-key.js';

describe('resourceKey', () => {
  it('joins kind and name, splitting back at the first slash', () => {
    expect(resourceKey('Route', 'default/web')).toBe('Route/default/web');
    expect(parseResourceKey('Route/default/web')).toEqual({ kind: 'Route', name: 'default/web' });
  });

  it('rejects kinds with a slash and empty parts', () => {
    expect(() => resourceKey('a/b', 'x')).toThrow(/invalid resource kind/);
    expect(() => resourceKey('', 'x')).toThrow(/invalid resource kind/);
    expect(() => resourceKey('Route', '')).toThrow(/empty resource name/);
    expect(() => parseResourceKey('Route')).toThrow(/invalid resource key/);
    expect(() => parseResourceKey('/x')).toThrow(/invalid resource key/);
    expect(() => parseResourceKey('Route/')).toThrow(/invalid resource key/);
  });
});
