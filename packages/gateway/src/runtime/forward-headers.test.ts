import { buildResponseHeaders, buildUpstreamHeaders } from './forward-headers.js';
import type { ForwardContext } from './forward-headers.js';
import { HeaderModifier } from './header-modifier.js';

const ctx = (overrides: Partial<ForwardContext> = {}): ForwardContext => ({
  clientIp: '10.0.0.7',
  proto: 'http',
  requestId: 'req-1',
  hostRewrite: null,
  modifier: null,
  hiddenHeaders: null,
  ...overrides,
});

/** Flat header list -> object (repeated names joined with " | " so duplicates show). */
function asObject(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    out[name] = out[name] === undefined ? flat[i + 1]! : `${out[name]} | ${flat[i + 1]}`;
  }
  return out;
}

const raw = (...pairs: string[]): Buffer[] => pairs.map((p) => Buffer.from(p, 'latin1'));

describe('buildUpstreamHeaders', () => {
  it('never forwards the gateway credential of key auth', () => {
    const headers = { authorization: 'Bearer gw-key', 'x-api-key': 'gw-key', accept: 'text/plain' };
    const out = asObject(
      buildUpstreamHeaders(headers, ctx({ hiddenHeaders: ['authorization', 'x-api-key'] })),
    );
    expect(out['authorization']).toBeUndefined();
    expect(out['x-api-key']).toBeUndefined();
    expect(out['accept']).toBe('text/plain');
    expect(asObject(buildUpstreamHeaders(headers, ctx()))['authorization']).toBe('Bearer gw-key');
  });

  it('drops hop-by-hop headers, including those Connection lists', () => {
    const out = asObject(
      buildUpstreamHeaders(
        {
          host: 'api.example.com',
          connection: 'keep-alive, X-Secret-Hop',
          'keep-alive': 'timeout=5',
          'proxy-authorization': 'Basic x',
          'proxy-connection': 'keep-alive',
          te: 'trailers',
          trailer: 'x',
          'transfer-encoding': 'chunked',
          upgrade: 'h2c',
          expect: '100-continue',
          'x-secret-hop': 'dropped',
          accept: 'application/json',
        },
        ctx(),
      ),
    );
    expect(Object.keys(out).sort()).toEqual(
      [
        'accept',
        'host',
        'via',
        'x-forwarded-for',
        'x-forwarded-host',
        'x-forwarded-proto',
        'x-request-id',
      ].sort(),
    );
  });

  it('keeps the client Host (Gateway API) and adds the forwarding headers', () => {
    const out = asObject(
      buildUpstreamHeaders({ host: 'api.example.com:8080', 'x-request-id': 'client-id' }, ctx()),
    );
    expect(out).toEqual({
      host: 'api.example.com:8080',
      'x-forwarded-for': '10.0.0.7',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'api.example.com:8080',
      'x-request-id': 'req-1',
      via: '1.1 hubpo',
    });
  });

  it('appends to X-Forwarded-For and Via, and replaces client-sent X-Forwarded-Proto/-Host', () => {
    const out = asObject(
      buildUpstreamHeaders(
        {
          host: 'h',
          'x-forwarded-for': '1.2.3.4',
          via: '1.0 edge',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'spoofed',
        },
        ctx(),
      ),
    );
    expect(out['x-forwarded-for']).toBe('1.2.3.4, 10.0.0.7');
    expect(out.via).toBe('1.0 edge, 1.1 hubpo');
    expect(out['x-forwarded-proto']).toBe('http');
    expect(out['x-forwarded-host']).toBe('h');
  });

  it('rewrites Host when the rule has a hostname rewrite', () => {
    const out = asObject(
      buildUpstreamHeaders({ host: 'public.example.com' }, ctx({ hostRewrite: 'internal.svc' })),
    );
    expect(out.host).toBe('internal.svc');
    expect(out['x-forwarded-host']).toBe('public.example.com');
  });

  it('applies the request header modifier: set replaces, add appends, remove drops', () => {
    const modifier = new HeaderModifier({
      set: [
        { name: 'x-env', value: 'prod' },
        { name: 'x-forwarded-proto', value: 'https' },
      ],
      add: [
        { name: 'x-tags', value: 'b' },
        { name: 'x-new', value: '1' },
      ],
      remove: ['cookie', 'x-request-id'],
    });
    const out = asObject(
      buildUpstreamHeaders(
        { host: 'h', 'x-env': 'dev', 'x-tags': 'a', cookie: 'secret=1' },
        ctx({ modifier }),
      ),
    );
    expect(out['x-env']).toBe('prod');
    expect(out['x-tags']).toBe('a,b');
    expect(out['x-new']).toBe('1');
    expect(out['x-forwarded-proto']).toBe('https');
    expect(out.cookie).toBeUndefined();
    expect(out['x-request-id']).toBeUndefined();
  });
});

describe('buildResponseHeaders', () => {
  it('drops hop-by-hop headers, appends Via and adds X-Request-Id', () => {
    const out = asObject(
      buildResponseHeaders(
        raw(
          'Content-Type',
          'text/plain',
          'Connection',
          'keep-alive, X-Internal',
          'Keep-Alive',
          'timeout=5',
          'Transfer-Encoding',
          'chunked',
          'X-Internal',
          'hop',
          'Proxy-Authenticate',
          'Basic',
          'Set-Cookie',
          'a=1',
          'Set-Cookie',
          'b=2',
        ),
        'req-9',
        null,
        null,
      ),
    );
    expect(out).toEqual({
      'content-type': 'text/plain',
      'set-cookie': 'a=1 | b=2',
      'x-request-id': 'req-9',
      via: '1.1 hubpo',
    });
  });

  it("keeps the upstream's X-Request-Id and appends extra headers last", () => {
    const out = buildResponseHeaders(raw('x-request-id', 'upstream', 'via', '1.1 app'), 'req-9', null, [
      'ratelimit-remaining',
      '3',
    ]);
    expect(out).toEqual([
      'x-request-id',
      'upstream',
      'via',
      '1.1 app, 1.1 hubpo',
      'ratelimit-remaining',
      '3',
    ]);
  });

  it('applies the response header modifier', () => {
    const modifier = new HeaderModifier({
      set: [{ name: 'cache-control', value: 'no-store' }],
      add: [{ name: 'vary', value: 'x-tenant' }],
      remove: ['server'],
    });
    const out = asObject(
      buildResponseHeaders(
        raw('server', 'nginx', 'cache-control', 'max-age=60', 'vary', 'accept'),
        'r',
        modifier,
        null,
      ),
    );
    expect(out).toEqual({
      'cache-control': 'no-store',
      vary: 'accept,x-tenant',
      'x-request-id': 'r',
      via: '1.1 hubpo',
    });
  });
});

describe('HeaderModifier', () => {
  it('lets remove win over set over add for the same name, and joins repeated adds', () => {
    const modifier = new HeaderModifier({
      set: [
        { name: 'a', value: 'set' },
        { name: 'b', value: 'set' },
      ],
      add: [
        { name: 'a', value: 'add' },
        { name: 'c', value: '1' },
        { name: 'c', value: '2' },
      ],
      remove: ['b'],
    });
    const out: string[] = [];
    let seen = 0;
    seen = modifier.apply('a', 'client', out, seen);
    seen = modifier.apply('b', 'client', out, seen);
    modifier.finish(out, seen);
    expect(out).toEqual(['a', 'set', 'c', '1,2']);
  });

  it('modifies a node header object in place (WebSocket upgrades)', () => {
    const headers: Record<string, string | string[] | undefined> = { a: '1', b: '2' };
    new HeaderModifier({
      set: [{ name: 'a', value: 'x' }],
      add: [
        { name: 'b', value: '3' },
        { name: 'c', value: '4' },
      ],
      remove: ['d'],
    }).applyTo(headers);
    expect(headers).toEqual({ a: 'x', b: '2,3', c: '4' });
  });
});
