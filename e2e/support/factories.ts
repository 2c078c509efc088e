/** Fresh resource objects for journeys (CONVENTIONS.md §15: factories, never shared fixtures). */
export function route(
  name: string,
  prefix: string,
  upstreamUrl: string,
  extra: Record<string, unknown> = {},
): any {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Route',
    metadata: { name, namespace: 'default' },
    spec: {
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: prefix } }],
          backends: [{ url: upstreamUrl }],
          ...extra,
        },
      ],
    },
  };
}

export function consumer(name: string, key: string): any {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Consumer',
    metadata: { name, namespace: 'default' },
    spec: { apiKeys: [{ name: 'k', value: key }] },
  };
}

export function policy(name: string, routeName: string, spec: Record<string, unknown>): any {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Policy',
    metadata: { name, namespace: 'default' },
    spec: { targetRefs: [{ kind: 'Route', name: routeName }], ...spec },
  };
}
