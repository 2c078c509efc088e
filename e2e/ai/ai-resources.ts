/** AI resources for journeys (fresh objects on every call), as a user applies them. */

export interface TargetSpec {
  readonly name: string;
  readonly provider: string;
  readonly endpoint: string;
  readonly model?: string;
  readonly priority?: number;
  readonly region?: string;
  readonly pricing?: { inputPerMTok: number; outputPerMTok: number };
}

export function aiModel(
  name: string,
  targets: readonly TargetSpec[],
  spec: Record<string, unknown> = {},
): any {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'AIModel',
    metadata: { name, namespace: 'default' },
    spec: {
      targets: targets.map((t) => ({
        name: t.name,
        provider: t.provider,
        model: t.model ?? 'mock-model',
        endpoint: t.endpoint,
        ...(t.priority === undefined ? {} : { priority: t.priority }),
        ...(t.region === undefined ? {} : { region: t.region }),
        ...(t.pricing === undefined ? {} : { pricing: [t.pricing] }),
      })),
      ...spec,
    },
  };
}

export function aiRoute(name: string, prefix: string, models?: readonly string[]): any {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Route',
    metadata: { name, namespace: 'default' },
    spec: {
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: prefix } }],
          ai: models === undefined ? {} : { models },
        },
      ],
    },
  };
}

export function aiConsumer(name: string, key: string, allowedModels?: readonly string[]): any {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Consumer',
    metadata: { name, namespace: 'default' },
    spec: { apiKeys: [{ name: 'k', value: key }], ...(allowedModels === undefined ? {} : { allowedModels }) },
  };
}

export function keyPolicy(name: string, routeName: string): any {
  return {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Policy',
    metadata: { name, namespace: 'default' },
    spec: { targetRefs: [{ kind: 'Route', name: routeName }], authentication: { apiKey: {} } },
  };
}
