import type { SnapshotObject } from '../snapshot.js';

/** A route-like config object; `overrides` replace top-level fields. */
export function routeObject(name: string, overrides: Record<string, unknown> = {}): SnapshotObject {
  return {
    kind: 'Route',
    name,
    value: {
      kind: 'Route',
      id: name,
      hostnames: [`${name.replace(/\W/g, '-')}.example.test`],
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ id: 'http://10.0.0.1:80' }] },
      ],
      ...overrides,
    },
  };
}

export function modelObject(name: string, overrides: Record<string, unknown> = {}): SnapshotObject {
  return {
    kind: 'AIModel',
    name,
    value: {
      kind: 'AIModel',
      id: name,
      strategy: 'Fallback',
      targets: [{ provider: 'mock', model: 'm1' }],
      ...overrides,
    },
  };
}

/** A small, varied set of objects: two routes (one with a namespaced name) and a model. */
export function sampleObjects(): SnapshotObject[] {
  return [routeObject('default/web'), routeObject('api'), modelObject('default/gpt')];
}
