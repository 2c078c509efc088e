import type { MatchConfig, RouteConfig } from '@hubpo/snapshot';
import { compileRuntime } from './compile-runtime.js';
import type { HttpRuntime } from './http-runtime.js';
import { normalizeHost, normalizePath } from './request-target.js';
import { RuntimeState } from './runtime-state.js';
import { exact, prefix, proxyRule, regex, route } from './testdata/config-factories.js';

interface Req {
  readonly host?: string;
  readonly path: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
}

/** Compiles `routes` and answers which `<route id>#<rule index>` serves a request (or null). */
function matcher(routes: readonly RouteConfig[]): (req: Req) => string | null {
  const state = new RuntimeState();
  const runtime = compileRuntime({ revision: 1, objects: routes }, state) as HttpRuntime;
  return (req) => {
    const q = req.path.indexOf('?');
    const path = normalizePath(q === -1 ? req.path : req.path.slice(0, q));
    const query = q === -1 ? '' : req.path.slice(q);
    const found = runtime.table.match(normalizeHost(req.host ?? 'example.com'), path, {
      method: req.method ?? 'GET',
      headers: req.headers ?? {},
      queryParam: (name) => new URLSearchParams(query).get(name),
    });
    return found === null ? null : `${found.target.routeId}#${found.target.index}`;
  };
}

const r = (id: string, matches: MatchConfig[], extra: Partial<RouteConfig> = {}): RouteConfig =>
  route(id, [proxyRule(['http://127.0.0.1:9'], { matches })], extra);

describe('route matching precedence (Gateway API HTTPRoute)', () => {
  // Each case: routes, request, expected `<route>#<rule>` (null: 404).
  const cases: readonly (readonly [string, readonly RouteConfig[], Req, string | null])[] = [
    [
      'Exact path beats any PathPrefix, even one with method and headers',
      [
        r('ns/prefix', [
          prefix('/foo', { method: 'GET', headers: [{ type: 'Exact', name: 'x', value: '1' }] }),
        ]),
        r('ns/exact', [exact('/foo')]),
      ],
      { path: '/foo', headers: { x: '1' } },
      'ns/exact#0',
    ],
    ['Exact path does not match a longer path', [r('ns/exact', [exact('/foo')])], { path: '/foo/bar' }, null],
    [
      'Exact path is not segment-lenient (trailing slash differs)',
      [r('ns/exact', [exact('/foo')])],
      { path: '/foo/' },
      null,
    ],
    [
      'the longest PathPrefix wins',
      [r('ns/short', [prefix('/a')]), r('ns/long', [prefix('/a/b')]), r('ns/root', [prefix('/')])],
      { path: '/a/b/c' },
      'ns/long#0',
    ],
    [
      'PathPrefix matches element-wise: /foo matches /foo',
      [r('ns/p', [prefix('/foo')])],
      { path: '/foo' },
      'ns/p#0',
    ],
    [
      'PathPrefix matches element-wise: /foo matches /foo/',
      [r('ns/p', [prefix('/foo')])],
      { path: '/foo/' },
      'ns/p#0',
    ],
    [
      'PathPrefix matches element-wise: /foo matches /foo/bar',
      [r('ns/p', [prefix('/foo')])],
      { path: '/foo/bar' },
      'ns/p#0',
    ],
    [
      'PathPrefix matches element-wise: /foo does not match /foobar',
      [r('ns/p', [prefix('/foo')])],
      { path: '/foobar' },
      null,
    ],
    [
      'a trailing slash on a PathPrefix is ignored',
      [r('ns/p', [prefix('/foo/')])],
      { path: '/foo' },
      'ns/p#0',
    ],
    [
      'PathPrefix "/" is the catch-all after longer prefixes',
      [r('ns/root', [prefix('/')]), r('ns/api', [prefix('/api')])],
      { path: '/apis' },
      'ns/root#0',
    ],
    [
      'any PathPrefix beats a RegularExpression',
      [r('ns/re', [regex('/api/v[0-9]+/.*')]), r('ns/root', [prefix('/')])],
      { path: '/api/v1/x' },
      'ns/root#0',
    ],
    [
      'a RegularExpression serves what no Exact or PathPrefix matches',
      [r('ns/re', [regex('/api/v[0-9]+/.*')]), r('ns/other', [prefix('/other')])],
      { path: '/api/v2/users' },
      'ns/re#0',
    ],
    [
      'a RegularExpression must match the whole path',
      [r('ns/re', [regex('/api/v[0-9]+')])],
      { path: '/api/v2/users' },
      null,
    ],
    [
      'among PathPrefix ties, a method match beats none',
      [r('ns/any', [prefix('/x')]), r('ns/get', [prefix('/x', { method: 'GET' })])],
      { path: '/x', method: 'GET' },
      'ns/get#0',
    ],
    [
      'a method that does not match falls through to the next candidate',
      [r('ns/any', [prefix('/x')]), r('ns/post', [prefix('/x', { method: 'POST' })])],
      { path: '/x', method: 'GET' },
      'ns/any#0',
    ],
    [
      'more header matches beat fewer',
      [
        r('ns/one', [prefix('/x', { headers: [{ type: 'Exact', name: 'a', value: '1' }] })]),
        r('ns/two', [
          prefix('/x', {
            headers: [
              { type: 'Exact', name: 'a', value: '1' },
              { type: 'Exact', name: 'b', value: '2' },
            ],
          }),
        ]),
      ],
      { path: '/x', headers: { a: '1', b: '2' } },
      'ns/two#0',
    ],
    [
      'method beats header count',
      [
        r('ns/headers', [prefix('/x', { headers: [{ type: 'Exact', name: 'a', value: '1' }] })]),
        r('ns/method', [prefix('/x', { method: 'GET' })]),
      ],
      { path: '/x', headers: { a: '1' } },
      'ns/method#0',
    ],
    [
      'more query matches beat fewer',
      [
        r('ns/none', [prefix('/x')]),
        r('ns/q', [prefix('/x', { queryParams: [{ type: 'Exact', name: 'v', value: '2' }] })]),
      ],
      { path: '/x?v=2' },
      'ns/q#0',
    ],
    [
      'header count beats query count',
      [
        r('ns/q', [prefix('/x', { queryParams: [{ type: 'Exact', name: 'v', value: '2' }] })]),
        r('ns/h', [prefix('/x', { headers: [{ type: 'Exact', name: 'a', value: '1' }] })]),
      ],
      { path: '/x?v=2', headers: { a: '1' } },
      'ns/h#0',
    ],
    [
      'the longer prefix beats method, headers and query of a shorter one',
      [
        r('ns/short', [prefix('/x', { method: 'GET', headers: [{ type: 'Exact', name: 'a', value: '1' }] })]),
        r('ns/long', [prefix('/x/y')]),
      ],
      { path: '/x/y', headers: { a: '1' } },
      'ns/long#0',
    ],
    [
      'a full tie goes to the older route',
      [
        r('ns/a-newer', [prefix('/x')], { createdAt: '2025-02-01T00:00:00Z' }),
        r('ns/b-older', [prefix('/x')], { createdAt: '2025-01-01T00:00:00Z' }),
      ],
      { path: '/x' },
      'ns/b-older#0',
    ],
    [
      'creation times compare as instants, not strings',
      [
        r('ns/a', [prefix('/x')], { createdAt: '2025-01-01T01:00:00+02:00' }),
        r('ns/b', [prefix('/x')], { createdAt: '2025-01-01T00:00:00Z' }),
      ],
      { path: '/x' },
      'ns/a#0',
    ],
    [
      'same age: the route id first in alphabetical order',
      [r('ns/zeta', [prefix('/x')]), r('ns/alpha', [prefix('/x')])],
      { path: '/x' },
      'ns/alpha#0',
    ],
    [
      'no matches on a rule means PathPrefix "/"',
      [route('ns/all', [proxyRule(['http://127.0.0.1:9'], { matches: [] })])],
      { path: '/any/thing' },
      'ns/all#0',
    ],
  ];

  it.each(cases)('%s', (_name, routes, req, expected) => {
    expect(matcher(routes)(req)).toBe(expected);
  });

  it('within a route, the first rule wins a tie', () => {
    const routes = [
      route('ns/r', [
        proxyRule(['http://127.0.0.1:9'], { matches: [prefix('/x')] }),
        proxyRule(['http://127.0.0.1:9'], { matches: [prefix('/x')] }),
        proxyRule(['http://127.0.0.1:9'], { matches: [prefix('/x', { method: 'GET' })] }),
      ]),
    ];
    expect(matcher(routes)({ path: '/x', method: 'GET' })).toBe('ns/r#2');
    expect(matcher(routes)({ path: '/x', method: 'PUT' })).toBe('ns/r#0');
  });

  it('any match of a rule selects it', () => {
    const match = matcher([
      route('ns/r', [proxyRule(['http://127.0.0.1:9'], { matches: [exact('/a'), prefix('/b')] })]),
    ]);
    expect(match({ path: '/a' })).toBe('ns/r#0');
    expect(match({ path: '/b/c' })).toBe('ns/r#0');
    expect(match({ path: '/c' })).toBeNull();
  });
});

describe('hostname precedence', () => {
  const routes = [
    r('ns/exact', [prefix('/')], { hostnames: ['api.example.com'] }),
    r('ns/wild-long', [prefix('/')], { hostnames: ['*.eu.example.com'] }),
    r('ns/wild', [prefix('/')], { hostnames: ['*.example.com'] }),
    r('ns/any', [prefix('/')]),
  ];
  const match = matcher(routes);

  it.each([
    ['api.example.com', 'ns/exact#0'],
    ['API.Example.com:8443', 'ns/exact#0'],
    ['api.example.com.', 'ns/exact#0'],
    ['shop.eu.example.com', 'ns/wild-long#0'],
    ['a.b.eu.example.com', 'ns/wild-long#0'],
    ['eu.example.com', 'ns/wild#0'],
    ['www.example.com', 'ns/wild#0'],
    ['example.com', 'ns/any#0'],
    ['other.org', 'ns/any#0'],
    ['', 'ns/any#0'],
    ['[::1]:8080', 'ns/any#0'],
  ])('%s -> %s', (host, expected) => {
    expect(match({ host, path: '/' })).toBe(expected);
  });

  it('a more specific host wins over a longer path of a less specific one', () => {
    const m = matcher([
      r('ns/exact', [prefix('/')], { hostnames: ['a.example.com'] }),
      r('ns/any', [exact('/x')]),
    ]);
    expect(m({ host: 'a.example.com', path: '/x' })).toBe('ns/exact#0');
  });

  it('falls through to less specific hosts when the specific host has no matching rule', () => {
    const m = matcher([
      r('ns/exact', [prefix('/only')], { hostnames: ['a.example.com'] }),
      r('ns/wild', [prefix('/wild')], { hostnames: ['*.example.com'] }),
      r('ns/any', [prefix('/')]),
    ]);
    expect(m({ host: 'a.example.com', path: '/only/x' })).toBe('ns/exact#0');
    expect(m({ host: 'a.example.com', path: '/wild' })).toBe('ns/wild#0');
    expect(m({ host: 'a.example.com', path: '/other' })).toBe('ns/any#0');
  });

  it('routes with hostnames never serve other hosts', () => {
    const m = matcher([r('ns/exact', [prefix('/')], { hostnames: ['a.example.com'] })]);
    expect(m({ host: 'b.example.com', path: '/' })).toBeNull();
    expect(m({ host: '', path: '/' })).toBeNull();
  });
});

describe('header and query conditions', () => {
  it('header names are case-insensitive, values exact or whole-value regular expressions', () => {
    const m = matcher([
      r('ns/exact', [prefix('/', { headers: [{ type: 'Exact', name: 'X-Tenant', value: 'blue' }] })]),
      r('ns/re', [
        prefix('/', { headers: [{ type: 'RegularExpression', name: 'x-version', value: 'v[0-9]+' }] }),
      ]),
    ]);
    expect(m({ path: '/', headers: { 'x-tenant': 'blue' } })).toBe('ns/exact#0');
    expect(m({ path: '/', headers: { 'x-tenant': 'Blue' } })).toBeNull();
    expect(m({ path: '/', headers: { 'x-version': 'v12' } })).toBe('ns/re#0');
    expect(m({ path: '/', headers: { 'x-version': 'v12-beta' } })).toBeNull();
  });

  it('query parameters are decoded, use their first value and keep their name case', () => {
    const m = matcher([
      r('ns/q', [prefix('/', { queryParams: [{ type: 'Exact', name: 'Mode', value: 'a b' }] })]),
    ]);
    expect(m({ path: '/?Mode=a%20b' })).toBe('ns/q#0');
    expect(m({ path: '/?Mode=a+b&Mode=c' })).toBe('ns/q#0');
    expect(m({ path: '/?mode=a%20b' })).toBeNull();
  });
});

describe('path normalisation before matching', () => {
  const m = matcher([r('ns/admin', [prefix('/admin')]), r('ns/public', [prefix('/public')])]);

  it.each([
    ['/public/../admin', 'ns/admin#0'],
    ['/public/%2e%2e/admin', 'ns/admin#0'],
    ['/public/%2E%2E/admin/x', 'ns/admin#0'],
    ['//admin', 'ns/admin#0'],
    ['/public/./x', 'ns/public#0'],
    ['/%61dmin', 'ns/admin#0'],
  ])('%s is served as %s', (path, expected) => {
    expect(m({ path })).toBe(expected);
  });
});

describe('scale', () => {
  it('indexes 10,000 routes so that exact hosts, exact paths and prefixes resolve', () => {
    const routes: RouteConfig[] = [];
    for (let i = 0; i < 10_000; i++) {
      routes.push(
        route(
          `ns/r${i}`,
          [proxyRule(['http://127.0.0.1:9'], { matches: [exact(`/exact/${i}`), prefix(`/svc/${i}`)] })],
          i % 2 === 0 ? { hostnames: [`h${i}.example.com`] } : {},
        ),
      );
    }
    const m = matcher(routes);
    expect(m({ host: 'h4242.example.com', path: '/svc/4242/x' })).toBe('ns/r4242#0');
    expect(m({ host: 'other', path: '/exact/9999' })).toBe('ns/r9999#0');
    expect(m({ host: 'other', path: '/svc/777/a/b' })).toBe('ns/r777#0');
    expect(m({ host: 'other', path: '/svc/4242' })).toBeNull();
    expect(m({ host: 'other', path: '/svc/10000' })).toBeNull();
  });
});
