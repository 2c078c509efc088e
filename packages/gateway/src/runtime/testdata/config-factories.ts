import { createHash } from 'node:crypto';
import type {
  BackendConfig,
  ConsumerConfig,
  MatchConfig,
  PolicyConfig,
  RouteConfig,
  RouteRuleConfig,
} from '@hubpo/snapshot';

/*
 * Factories for the config objects the runtime compiles (fresh objects on every call). Defaults
 * are what the translator fills in: one PathPrefix "/" match, RoundRobin, 30 s / 15 s / 5 s
 * timeouts, 2 retries on 502/503/504 with 25 ms backoff, ejection after 5 failures for 30 s.
 */

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export function match(overrides: Partial<Writable<MatchConfig>> = {}): MatchConfig {
  return {
    path: { type: 'PathPrefix', value: '/' },
    method: null,
    headers: [],
    queryParams: [],
    ...overrides,
  };
}

export function prefix(value: string, overrides: Partial<Writable<MatchConfig>> = {}): MatchConfig {
  return match({ path: { type: 'PathPrefix', value }, ...overrides });
}

export function exact(value: string, overrides: Partial<Writable<MatchConfig>> = {}): MatchConfig {
  return match({ path: { type: 'Exact', value }, ...overrides });
}

export function regex(value: string, overrides: Partial<Writable<MatchConfig>> = {}): MatchConfig {
  return match({ path: { type: 'RegularExpression', value }, ...overrides });
}

export function backend(url: string, weight = 1): BackendConfig {
  return { id: url, url, weight };
}

export function rule(overrides: Partial<Writable<RouteRuleConfig>> = {}): RouteRuleConfig {
  return {
    index: 0,
    name: null,
    matches: [match()],
    action: { kind: 'proxy', backends: [backend('http://127.0.0.1:9')], loadBalancer: 'RoundRobin' },
    requestHeaders: null,
    responseHeaders: null,
    urlRewrite: null,
    timeouts: { requestMs: 30_000, backendRequestMs: 15_000, connectMs: 5_000 },
    retry: { attempts: 2, backoffMs: 25, codes: [502, 503, 504] },
    ...overrides,
  };
}

/** A proxy rule to `backends` (URLs or configs). */
export function proxyRule(
  backends: readonly (string | BackendConfig)[],
  overrides: Partial<Writable<RouteRuleConfig>> = {},
  loadBalancer: 'RoundRobin' | 'Random' | 'LeastRequest' = 'RoundRobin',
): RouteRuleConfig {
  return rule({
    action: {
      kind: 'proxy',
      backends: backends.map((b) => (typeof b === 'string' ? backend(b) : b)),
      loadBalancer,
    },
    ...overrides,
  });
}

export function route(
  id: string,
  rules: readonly RouteRuleConfig[],
  overrides: Partial<Writable<RouteConfig>> = {},
): RouteConfig {
  return {
    kind: 'route',
    id,
    generation: 1,
    createdAt: '2025-01-01T00:00:00Z',
    hostnames: [],
    rules: rules.map((r, index) => ({ ...r, index })),
    passiveHealth: { consecutiveFailures: 5, ejectionMs: 30_000 },
    ...overrides,
  };
}

export function sha256(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function consumer(
  id: string,
  keys: readonly string[],
  overrides: Partial<Writable<ConsumerConfig>> = {},
): ConsumerConfig {
  return {
    kind: 'consumer',
    id,
    generation: 1,
    apiKeys: keys.map((key, i) => ({ name: `key-${i}`, sha256: sha256(key) })),
    allowedModels: null,
    allowedRoutes: null,
    ...overrides,
  };
}

export function policy(id: string, overrides: Partial<Writable<PolicyConfig>> = {}): PolicyConfig {
  return {
    kind: 'policy',
    id,
    generation: 1,
    targets: [],
    authentication: null,
    rateLimit: null,
    ...overrides,
  };
}

export function apiKeyPolicy(
  id: string,
  routeIds: readonly string[],
  header: string | null = null,
  optional = false,
): PolicyConfig {
  return policy(id, {
    targets: routeIds.map((routeId) => ({ kind: 'route', id: routeId })),
    authentication: { apiKey: { header, optional } },
  });
}

export function rateLimitPolicy(
  id: string,
  targets: PolicyConfig['targets'],
  limit: { requests: number; windowMs: number; burst?: number; key?: 'consumer' | 'clientIp' },
): PolicyConfig {
  return policy(id, {
    targets,
    rateLimit: {
      requests: limit.requests,
      windowMs: limit.windowMs,
      burst: limit.burst ?? 0,
      key: limit.key ?? 'consumer',
    },
  });
}
