import type { ConfigObject } from '@hubpo/snapshot';
import { Admission, admit, rateLimitHeaders } from './admission.js';
import type { AdmissionSubject } from './admission.js';
import { ApiKeyAuth, hashApiKey } from './api-key-auth.js';
import { compileRuntime } from './compile-runtime.js';
import type { HttpRuntime } from './http-runtime.js';
import type { RuleRuntime } from './rule-runtime.js';
import { RuntimeState } from './runtime-state.js';
import { apiKeyPolicy, consumer, proxyRule, rateLimitPolicy, route } from './testdata/config-factories.js';

const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef';

function subject(headers: Record<string, string> = {}, clientIp = '10.0.0.1'): AdmissionSubject {
  return {
    headers,
    clientIp,
    method: 'GET',
    requestId: 'req-1',
    req: { url: '/' },
    consumer: null,
    limiter: null,
    bucket: null,
  };
}

/** Compiles objects with a manual clock; returns the rule of `routeId` and an admit function. */
function setup(objects: ConfigObject[], routeId = 'ns/api') {
  let now = 0;
  const state = new RuntimeState({ clock: () => now });
  const runtime = compileRuntime({ revision: 1, objects }, state) as HttpRuntime;
  const found = runtime.table.match('', '/', { method: 'GET', headers: {}, queryParam: () => null });
  const rule = found!.target as RuleRuntime;
  expect(rule.routeId).toBe(routeId);
  return {
    advance: (ms: number) => (now += ms),
    admit: (s: AdmissionSubject) => admit(rule, runtime.consumersByKeyHash, s, state.clock),
  };
}

const api = (): ConfigObject => route('ns/api', [proxyRule(['http://127.0.0.1:9'])]);

describe('ApiKeyAuth', () => {
  const byDefault = new ApiKeyAuth({ header: null, optional: false });

  it('reads Authorization: Bearer, then x-api-key', () => {
    expect(byDefault.extract({ authorization: 'Bearer abc' })).toBe('abc');
    expect(byDefault.extract({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(byDefault.extract({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(byDefault.extract({ authorization: 'Basic abc', 'x-api-key': 'xyz' })).toBe('xyz');
    expect(byDefault.extract({ authorization: 'Bearer ' })).toBeNull();
    expect(byDefault.extract({})).toBeNull();
  });

  it('reads only the configured header when there is one', () => {
    const custom = new ApiKeyAuth({ header: 'x-token', optional: false });
    expect(custom.extract({ 'x-token': ' t1 ' })).toBe('t1');
    expect(custom.extract({ authorization: 'Bearer abc' })).toBeNull();
    expect(custom.challenge).toEqual(['www-authenticate', 'ApiKey realm="hubpo", header="x-token"']);
    expect(byDefault.challenge).toEqual(['www-authenticate', 'Bearer realm="hubpo"']);
  });

  it('hashes keys as hex SHA-256', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('admission', () => {
  it('rejects a missing key (401), an unknown key (401), a consumer not allowed on the route (403)', () => {
    const { admit } = setup([
      api(),
      route('ns/other', [proxyRule(['http://127.0.0.1:9'])], { hostnames: ['other.example.com'] }),
      consumer('ns/alice', [KEY_A]),
      consumer('ns/bob', [KEY_B], { allowedRoutes: ['ns/other'] }),
      apiKeyPolicy('ns/auth', ['ns/api']),
    ]);
    expect(admit(subject())).toBe(Admission.KeyMissing);
    expect(admit(subject({ authorization: 'Bearer nope' }))).toBe(Admission.KeyInvalid);
    expect(admit(subject({ 'x-api-key': KEY_B }))).toBe(Admission.Forbidden);
    const ok = subject({ authorization: `Bearer ${KEY_A}` });
    expect(admit(ok)).toBe(Admission.Admitted);
    expect(ok.consumer?.id).toBe('ns/alice');
  });

  it('lets requests without a key through as anonymous when optional, but never a wrong key', () => {
    const { admit } = setup([
      api(),
      consumer('ns/alice', [KEY_A]),
      apiKeyPolicy('ns/auth', ['ns/api'], null, true),
    ]);
    const anonymous = subject();
    expect(admit(anonymous)).toBe(Admission.Admitted);
    expect(anonymous.consumer).toBeNull();
    expect(admit(subject({ 'x-api-key': 'wrong' }))).toBe(Admission.KeyInvalid);
  });

  it('rate limits per consumer, with anonymous requests counted per client IP', () => {
    const { admit, advance } = setup([
      api(),
      consumer('ns/alice', [KEY_A]),
      consumer('ns/bob', [KEY_B]),
      apiKeyPolicy('ns/auth', ['ns/api'], null, true),
      rateLimitPolicy('ns/limit', [{ kind: 'route', id: 'ns/api' }], { requests: 2, windowMs: 1000 }),
    ]);
    const alice = (): AdmissionSubject => subject({ 'x-api-key': KEY_A }, '10.0.0.1');
    expect(admit(alice())).toBe(Admission.Admitted);
    expect(admit(alice())).toBe(Admission.Admitted);
    expect(admit(alice())).toBe(Admission.RateLimited);
    // Same IP, other consumer: its own bucket.
    expect(admit(subject({ 'x-api-key': KEY_B }, '10.0.0.1'))).toBe(Admission.Admitted);
    // Anonymous: by IP.
    expect(admit(subject({}, '10.0.0.9'))).toBe(Admission.Admitted);
    expect(admit(subject({}, '10.0.0.9'))).toBe(Admission.Admitted);
    expect(admit(subject({}, '10.0.0.9'))).toBe(Admission.RateLimited);
    advance(500); // one token back
    expect(admit(alice())).toBe(Admission.Admitted);
    expect(admit(alice())).toBe(Admission.RateLimited);
  });

  it('counts by client IP when the policy says so, whoever the consumer', () => {
    const { admit } = setup([
      api(),
      consumer('ns/alice', [KEY_A]),
      consumer('ns/bob', [KEY_B]),
      apiKeyPolicy('ns/auth', ['ns/api']),
      rateLimitPolicy('ns/limit', [{ kind: 'route', id: 'ns/api' }], {
        requests: 1,
        windowMs: 1000,
        key: 'clientIp',
      }),
    ]);
    expect(admit(subject({ 'x-api-key': KEY_A }, '10.0.0.1'))).toBe(Admission.Admitted);
    expect(admit(subject({ 'x-api-key': KEY_B }, '10.0.0.1'))).toBe(Admission.RateLimited);
    expect(admit(subject({ 'x-api-key': KEY_B }, '10.0.0.2'))).toBe(Admission.Admitted);
  });

  it('applies consumer-targeted limits on top of route limits, taking a token from all or none', () => {
    const { admit } = setup([
      api(),
      consumer('ns/alice', [KEY_A]),
      apiKeyPolicy('ns/auth', ['ns/api']),
      rateLimitPolicy('ns/route-limit', [{ kind: 'route', id: 'ns/api' }], { requests: 3, windowMs: 60_000 }),
      rateLimitPolicy('ns/alice-limit', [{ kind: 'consumer', id: 'ns/alice' }], {
        requests: 1,
        windowMs: 60_000,
      }),
    ]);
    const first = subject({ 'x-api-key': KEY_A });
    expect(admit(first)).toBe(Admission.Admitted);
    expect(first.limiter?.policyId).toBe('ns/alice-limit');
    const denied = subject({ 'x-api-key': KEY_A });
    expect(admit(denied)).toBe(Admission.RateLimited);
    expect(denied.limiter?.policyId).toBe('ns/alice-limit');
    // The route bucket lost one token only (the denied request took none).
    const headers = rateLimitHeaders(denied.limiter!, denied.bucket!, true);
    expect(headers).toEqual([
      'ratelimit-limit',
      '1',
      'ratelimit-remaining',
      '0',
      'ratelimit-reset',
      '60',
      'ratelimit-policy',
      '1;w=60',
      'retry-after',
      '60',
    ]);
  });

  it('reports RateLimit-* of the tightest bucket on admitted requests', () => {
    const { admit } = setup([
      api(),
      rateLimitPolicy('ns/limit', [{ kind: 'route', id: 'ns/api' }], {
        requests: 10,
        windowMs: 10_000,
        burst: 5,
      }),
    ]);
    const s = subject();
    expect(admit(s)).toBe(Admission.Admitted);
    expect(rateLimitHeaders(s.limiter!, s.bucket!, false)).toEqual([
      'ratelimit-limit',
      '15',
      'ratelimit-remaining',
      '14',
      'ratelimit-reset',
      '1',
      'ratelimit-policy',
      '10;w=10;burst=5',
    ]);
  });
});
