import type { AIModel, AnyResource, Consumer, Policy, Route } from '@hubpo/api';
import { HubpoError } from '@hubpo/core';
import type { RouteConfig } from '@hubpo/snapshot';
import { objectKey } from './object-key.js';
import { placedIn } from './placed-in.js';
import { translate } from './translate.js';
import type { TranslateInput } from './translate.js';

const CLUSTER = { name: 'east-1', labels: { cloud: 'aws', env: 'prod' } };

function meta(name: string, namespace: string, day = 1) {
  return {
    name,
    namespace,
    generation: 1,
    creationTimestamp: `2024-01-${String(day).padStart(2, '0')}T00:00:00Z`,
  };
}

function route(name: string, namespace = 'shop', spec: Partial<Route['spec']> = {}): Route {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Route',
    metadata: meta(name, namespace),
    spec: {
      hostnames: [`${name}.example.com`],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: `/${name}` } }],
          backends: [{ url: `http://${name}.internal:8080`, weight: 2 }, { service: { name, port: 80 } }],
        },
      ],
      ...spec,
    },
  };
}

function aiModel(name: string, namespace: string, day: number): AIModel {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'AIModel',
    metadata: meta(name, namespace, day),
    spec: { targets: [{ provider: 'mock', model: `${namespace}-${name}` }] },
  };
}

function consumer(name: string, day: number, sha256: string): Consumer {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Consumer',
    metadata: meta(name, 'apps', day),
    spec: { apiKeys: [{ name: 'main', sha256 }], allowedRoutes: ['orders', 'missing'] },
  };
}

function policy(name: string, targets: Policy['spec']['targetRefs']): Policy {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Policy',
    metadata: meta(name, 'shop'),
    spec: { targetRefs: targets, rateLimit: { requests: 10, per: 'second' } },
  };
}

/** A cluster's worth of every kind, with conflicts whose outcome depends on age, not order. */
function mixedResources(): AnyResource[] {
  const hash = (c: string) => c.repeat(64);
  return [
    route('orders'),
    route('payments', 'billing'),
    route('broken', 'shop', {
      rules: [
        { matches: [{ path: { type: 'RegularExpression', value: '(' } }], backends: [{ url: 'http://x' }] },
      ],
    }),
    route('llm', 'ai', { rules: [{ ai: { models: ['gpt-4o', 'missing'] } }] }),
    aiModel('gpt-4o', 'team-b', 3),
    aiModel('gpt-4o', 'team-a', 2),
    aiModel('gpt-4o', 'team-c', 2),
    consumer('alice', 5, hash('a')),
    consumer('bob', 4, hash('a')),
    consumer('carol', 4, hash('c')),
    consumer('dave', 4, hash('c')),
    policy('limit', [
      { kind: 'Route', name: 'orders' },
      { kind: 'Route', name: 'broken' },
      { kind: 'AIModel', name: 'gpt-4o', namespace: 'team-a' },
      { kind: 'Consumer', name: 'alice', namespace: 'apps' },
    ]),
  ];
}

/** Deterministic shuffle (mulberry32), so a failure reproduces. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const input = (resources: readonly AnyResource[], extra: Partial<TranslateInput> = {}): TranslateInput => ({
  cluster: CLUSTER,
  resources,
  defaultPlacement: 'all',
  ...extra,
});

describe('translate', () => {
  it('gives byte-identical output for the same resources in any order', () => {
    const resources = mixedResources();
    const expected = JSON.stringify(translate(input(resources)));
    for (let seed = 1; seed <= 20; seed++) {
      expect(JSON.stringify(translate(input(shuffled(resources, seed))))).toBe(expected);
    }
  });

  it('settles conflicts by age whatever the order', () => {
    const result = translate(input(shuffled(mixedResources(), 7)));
    const ids = result.objects.map((o) => `${o.kind}/${o.id}`);
    // team-a and team-c tie on age; team-a is first alphabetically. bob is older than alice.
    expect(ids).toContain('aimodel/team-a/gpt-4o');
    expect(ids).not.toContain('aimodel/team-b/gpt-4o');
    expect(ids).not.toContain('aimodel/team-c/gpt-4o');
    expect(ids).toEqual(expect.arrayContaining(['consumer/apps/bob', 'consumer/apps/carol']));
    expect(ids).not.toContain('consumer/apps/alice');
    expect(ids).not.toContain('consumer/apps/dave');
    const reasons = Object.fromEntries(
      result.statuses.map((s) => [`${s.kind}/${s.namespace}/${s.name}`, s.conditions.map((c) => c.reason)]),
    );
    expect(reasons['Consumer/apps/alice']).toEqual(['DuplicateKey', 'RouteNotFound']);
    expect(reasons['AIModel/team-c/gpt-4o']).toEqual(['Conflict', 'ResolvedRefs']);
    expect(reasons['Policy/shop/limit']).toEqual(['Accepted', 'TargetNotFound']);
  });

  it('sorts objects by kind then id and statuses by kind, namespace, name', () => {
    const result = translate(input(mixedResources()));
    const objectKeys = result.objects.map((o) => [o.kind, o.id] as const);
    expect(objectKeys).toEqual(
      [...objectKeys].sort((a, b) => (a[0] + ' ' + a[1] < b[0] + ' ' + b[1] ? -1 : 1)),
    );
    expect(result.statuses).toHaveLength(mixedResources().length);
    const statusKeys = result.statuses.map((s) => `${s.kind} ${s.namespace} ${s.name}`);
    expect(statusKeys).toEqual([...statusKeys].sort());
  });

  it('does not modify its input', () => {
    const resources = deepFreeze(mixedResources());
    const before = JSON.stringify(resources);
    expect(() => translate(input(resources))).not.toThrow();
    expect(JSON.stringify(resources)).toBe(before);
  });

  it('translates 10,000 routes', () => {
    const resources = Array.from({ length: 10_000 }, (_, i) => route(`route-${i}`, `ns-${i % 50}`));
    const result = translate(input(resources));
    expect(result.objects).toHaveLength(10_000);
    expect(result.statuses).toHaveLength(10_000);
    expect(result.statuses.every((s) => s.conditions.every((c) => c.status === 'True'))).toBe(true);
    const spot = result.objects.find(
      (o): o is RouteConfig => o.kind === 'route' && o.id === 'ns-42/route-4242',
    );
    expect(spot?.hostnames).toEqual(['route-4242.example.com']);
    expect(spot?.rules[0]?.action).toEqual({
      kind: 'proxy',
      loadBalancer: 'RoundRobin',
      backends: [
        { id: 'http://route-4242.internal:8080', url: 'http://route-4242.internal:8080', weight: 2 },
        {
          id: 'http://route-4242.ns-42.svc.cluster.local:80',
          url: 'http://route-4242.ns-42.svc.cluster.local:80',
          weight: 1,
        },
      ],
    });
  });

  it('reports statuses only for resources placed in the cluster', () => {
    const here = route('here', 'shop', { placement: { clusters: ['east-1'] } });
    const elsewhere = route('elsewhere', 'shop', {
      placement: { selector: { matchLabels: { cloud: 'gcp' } } },
    });
    const result = translate(input([here, elsewhere]));
    expect(result.statuses.map((s) => s.name)).toEqual(['here']);
    expect(result.objects.map((o) => o.id)).toEqual(['shop/here']);
  });

  it('rejects a broken input contract instead of guessing', () => {
    const noTimestamp = route('orders');
    delete (noTimestamp.metadata as { creationTimestamp?: string }).creationTimestamp;
    expect(() => translate(input([noTimestamp]))).toThrow(HubpoError);
    expect(() => translate(input([route('orders'), route('orders')]))).toThrow(
      /Route\/shop\/orders is given twice/,
    );
  });
});

describe('placedIn', () => {
  const r = (placement?: Route['spec']['placement']) =>
    route('x', 'shop', placement === undefined ? {} : { placement });

  it('uses the origin only for objects without placement', () => {
    expect(placedIn(r(), CLUSTER, 'east-1', 'origin')).toBe(true);
    expect(placedIn(r(), CLUSTER, 'west-1', 'origin')).toBe(false);
    expect(placedIn(r(), CLUSTER, undefined, 'origin')).toBe(true);
    expect(placedIn(r(), CLUSTER, 'west-1', 'all')).toBe(true);
    expect(placedIn(r({ clusters: ['east-1'] }), CLUSTER, 'west-1', 'origin')).toBe(true);
  });

  it('requires every given condition', () => {
    expect(
      placedIn(
        r({ clusters: ['east-1'], selector: { matchLabels: { env: 'prod' } } }),
        CLUSTER,
        undefined,
        'all',
      ),
    ).toBe(true);
    expect(
      placedIn(
        r({ clusters: ['east-1'], selector: { matchLabels: { env: 'dev' } } }),
        CLUSTER,
        undefined,
        'all',
      ),
    ).toBe(false);
    expect(placedIn(r({ clusters: ['west-1'], selector: {} }), CLUSTER, undefined, 'all')).toBe(false);
    expect(placedIn(r({}), CLUSTER, undefined, 'all')).toBe(true);
  });

  it('does not match labels through the prototype chain', () => {
    expect(placedIn(r({ selector: { matchLabels: { constructor: 'x' } } }), CLUSTER, undefined, 'all')).toBe(
      false,
    );
    expect(placedIn(r({ selector: { matchLabels: { toString: '' } } }), CLUSTER, undefined, 'all')).toBe(
      false,
    );
  });
});

describe('objectKey', () => {
  it('joins kind, namespace and name', () => {
    expect(objectKey('AIModel', 'ai', 'gpt-4o')).toBe('AIModel/ai/gpt-4o');
  });
});
