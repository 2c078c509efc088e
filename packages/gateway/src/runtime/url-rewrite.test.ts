import { PathRewrite, trimTrailingSlash } from './url-rewrite.js';

describe('ReplacePrefixMatch (Gateway API HTTPPathModifier table)', () => {
  // [request path, prefix match, replacement, expected]
  it.each([
    ['/foo/bar', '/foo', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
    ['/foo', '/foo', '/xyz', '/xyz'],
    ['/foo/', '/foo', '/xyz', '/xyz/'],
    ['/foo/bar', '/foo', '', '/bar'],
    ['/foo/', '/foo', '', '/'],
    ['/foo', '/foo', '', '/'],
    ['/foo/', '/foo', '/', '/'],
    ['/foo', '/foo', '/', '/'],
    ['/foo/bar/baz', '/foo/bar', '/v2', '/v2/baz'],
    ['/anything', '/', '/xyz', '/xyz/anything'],
  ])('%s with prefix %s and replacement "%s" -> %s', (path, prefix, value, expected) => {
    const rewrite = new PathRewrite({ type: 'ReplacePrefixMatch', value });
    expect(rewrite.apply(path, trimTrailingSlash(prefix))).toBe(expected);
  });
});

describe('ReplaceFullPath', () => {
  it('replaces the whole path whatever matched', () => {
    const rewrite = new PathRewrite({ type: 'ReplaceFullPath', value: '/new/place' });
    expect(rewrite.apply('/old/deep/path', '/old')).toBe('/new/place');
    expect(rewrite.apply('/', '')).toBe('/new/place');
  });
});
