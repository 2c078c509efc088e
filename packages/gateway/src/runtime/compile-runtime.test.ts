import { HubpoError } from '@hubpo/core';
import type { ConfigObject } from '@hubpo/snapshot';
import { compileRuntime } from './compile-runtime.js';
import type { HttpRuntime } from './http-runtime.js';
import { RuntimeState } from './runtime-state.js';
import {
  backend,
  consumer,
  exact,
  policy,
  prefix,
  proxyRule,
  rateLimitPolicy,
  regex,
  route,
  rule,
} from './testdata/config-factories.js';

function compileError(objects: readonly ConfigObject[]): HubpoError {
  try {
    compileRuntime({ revision: 7, objects }, new RuntimeState());
  } catch (error) {
    if (error instanceof HubpoError) return error;
    throw error;
  }
  throw new Error('compiled');
}

const first = (runtime: HttpRuntime, path = '/') =>
  runtime.table.match('', path, { method: 'GET', headers: {}, queryParam: () => null })!.target;

describe('compileRuntime rejects what it cannot serve', () => {
  it.each<[string, ConfigObject[], string]>([
    [
      'an invalid path regex',
      [route('ns/r', [proxyRule(['http://127.0.0.1:1'], { matches: [regex('/(unclosed')] })])],
      '/route/ns/r/rules/0/matches/0/path',
    ],
    [
      'an invalid header regex',
      [
        route('ns/r', [
          proxyRule(['http://127.0.0.1:1'], {
            matches: [prefix('/', { headers: [{ type: 'RegularExpression', name: 'x', value: '[' }] })],
          }),
        ]),
      ],
      '/route/ns/r/rules/0/matches/0/headers/0',
    ],
    [
      'a backend URL that is not http(s)',
      [route('ns/r', [proxyRule(['ftp://files.example'])])],
      '/route/ns/r/rules/0/backends/0/url',
    ],
    [
      'only zero-weight backends',
      [route('ns/r', [proxyRule([backend('http://127.0.0.1:1', 0)])])],
      '/route/ns/r/rules/0/backends',
    ],
    [
      'ReplacePrefixMatch on an Exact match',
      [
        route('ns/r', [
          proxyRule(['http://127.0.0.1:1'], {
            matches: [exact('/a')],
            urlRewrite: { hostname: null, path: { type: 'ReplacePrefixMatch', value: '/b' } },
          }),
        ]),
      ],
      '/route/ns/r/rules/0/urlRewrite/path',
    ],
    [
      'a header modifier with a CR LF in a value',
      [
        route('ns/r', [
          proxyRule(['http://127.0.0.1:1'], {
            requestHeaders: { set: [{ name: 'x', value: 'a\r\nb: c' }], add: [], remove: [] },
          }),
        ]),
      ],
      '/route/ns/r/rules/0/requestHeaders',
    ],
    [
      'one API key hash on two consumers',
      [consumer('ns/a', ['same-key-0123456789']), consumer('ns/b', ['same-key-0123456789'])],
      '/consumer/ns/b/apiKeys/0',
    ],
    ['a duplicate route id', [route('ns/r', [rule()]), route('ns/r', [rule()])], '/route/ns/r'],
    ['an unknown kind', [{ kind: 'gadget', id: 'x' } as unknown as ConfigObject], '/objects/0'],
    [
      'a creation time that is not a timestamp',
      [route('ns/r', [rule()], { createdAt: 'yesterday' })],
      '/route/ns/r/createdAt',
    ],
  ])('%s', (_name, objects, path) => {
    const error = compileError(objects);
    expect(error.kind).toBe('SNAPSHOT_INVALID');
    expect(error.message).toContain('config revision 7 cannot be compiled');
    expect(error.issues.map((i) => i.path)).toContain(path);
  });

  it('leaves the state untouched when it fails', () => {
    const state = new RuntimeState();
    compileRuntime(
      {
        revision: 1,
        objects: [rateLimitPolicy('ns/p', [], { requests: 5, windowMs: 1000 }), route('ns/r', [rule()])],
      },
      state,
    );
    expect(() =>
      compileRuntime(
        {
          revision: 2,
          objects: [route('ns/r', [proxyRule(['http://127.0.0.1:1'], { matches: [regex('(')] })])],
        },
        state,
      ),
    ).toThrow(HubpoError);
    expect(state.policyIds).toEqual(['ns/p']);
    expect(state.backendIds).toEqual(['http://127.0.0.1:9']);
  });
});

describe('state carried across snapshot swaps', () => {
  const limited = (requests: number): ConfigObject[] => [
    route('ns/r', [proxyRule(['http://127.0.0.1:1', 'http://127.0.0.1:2'])]),
    rateLimitPolicy('ns/limit', [{ kind: 'route', id: 'ns/r' }], { requests, windowMs: 60_000 }),
  ];

  it('keeps token buckets, health and round-robin scores by stable id', () => {
    const state = new RuntimeState({ clock: () => 0 });
    const one = compileRuntime({ revision: 1, objects: limited(5) }, state) as HttpRuntime;
    const two = compileRuntime({ revision: 2, objects: limited(5) }, state) as HttpRuntime;
    const [a, b] = [first(one), first(two)];
    expect(b.rateLimiters[0]!.store).toBe(a.rateLimiters[0]!.store);
    expect(b.picker!.targets[0]!.health).toBe(a.picker!.targets[0]!.health);
    expect(b.picker!.targets[0]!.pool).toBe(a.picker!.targets[0]!.pool);
    // Round robin continues where the old runtime stopped.
    expect(a.picker!.pick(state.clock, null).id).toBe('http://127.0.0.1:1');
    expect(b.picker!.pick(state.clock, null).id).toBe('http://127.0.0.1:2');
  });

  it('applies a changed limit to the carried buckets', () => {
    const state = new RuntimeState({ clock: () => 0 });
    const one = compileRuntime({ revision: 1, objects: limited(5) }, state) as HttpRuntime;
    const store = first(one).rateLimiters[0]!.store;
    store.bucket('10.0.0.1', 0);
    const two = compileRuntime({ revision: 2, objects: limited(2) }, state) as HttpRuntime;
    expect(first(two).rateLimiters[0]!.store).toBe(store);
    expect(store.bucket('10.0.0.1', 0).tokens).toBe(2);
    expect(first(two).rateLimiters[0]!.policyHeader).toBe('2;w=60');
  });

  it('drops entries whose ids left the snapshot', () => {
    const state = new RuntimeState();
    compileRuntime({ revision: 1, objects: limited(5) }, state);
    expect(state.policyIds).toEqual(['ns/limit']);
    compileRuntime({ revision: 2, objects: [route('ns/r', [proxyRule(['http://127.0.0.1:3'])])] }, state);
    expect(state.policyIds).toEqual([]);
    expect(state.backendIds).toEqual(['http://127.0.0.1:3']);
  });

  it('closes a dropped pool only once the runtimes using it retired and drained', async () => {
    const state = new RuntimeState();
    const one = compileRuntime(
      { revision: 1, objects: [route('ns/r', [proxyRule(['http://127.0.0.1:1'])])] },
      state,
    ) as HttpRuntime;
    const pool = first(one).picker!.targets[0]!.pool.dispatcher;
    compileRuntime({ revision: 2, objects: [route('ns/r', [proxyRule(['http://127.0.0.1:2'])])] }, state);
    one.exchangeStarted(); // a request still in flight on the old runtime
    one.retire();
    expect(pool.closed).toBe(false);
    one.exchangeEnded();
    expect(pool.closed).toBe(true);
    await state.close();
  });

  it('ignores AI models and policies that target them; AI rules compile without backends', () => {
    const runtime = compileRuntime(
      {
        revision: 1,
        objects: [
          route('ns/ai', [rule({ action: { kind: 'ai', models: null } })]),
          policy('ns/p', {
            targets: [{ kind: 'aimodel', id: 'ns/m' }],
            rateLimit: { requests: 1, windowMs: 1, burst: 0, key: 'consumer' },
          }),
        ],
      },
      new RuntimeState(),
    ) as HttpRuntime;
    const compiled = first(runtime);
    expect(compiled.picker).toBeNull();
    expect(compiled.rateLimiters).toEqual([]);
  });
});
