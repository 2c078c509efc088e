// The config the gateway benchmark compiles: one benchmarked route among N filler routes.
import { createHash } from 'node:crypto';

export const BENCH_KEY = 'bench-key-0123456789abcdef';

export function benchConfig(upstream, { routes = 100, policies = false } = {}) {
  const rule = (index, matches) => ({
    index,
    name: null,
    matches,
    action: {
      kind: 'proxy',
      backends: [{ id: upstream, url: upstream, weight: 1 }],
      loadBalancer: 'RoundRobin',
    },
    requestHeaders: null,
    responseHeaders: null,
    urlRewrite: null,
    timeouts: { requestMs: 30_000, backendRequestMs: 15_000, connectMs: 5_000 },
    retry: { attempts: 2, backoffMs: 25, codes: [502, 503, 504] },
  });
  const path = (type, value) => ({ path: { type, value }, method: null, headers: [], queryParams: [] });
  const route = (id, hostnames, rules) => ({
    kind: 'route',
    id,
    generation: 1,
    createdAt: '2025-01-01T00:00:00Z',
    hostnames,
    rules,
    passiveHealth: { consecutiveFailures: 5, ejectionMs: 30_000 },
  });
  const objects = [route('bench/main', [], [rule(0, [path('PathPrefix', '/bench')])])];
  for (let i = 0; i < routes; i++) {
    objects.push(
      route(`bench/filler-${i}`, i % 4 === 0 ? [`svc-${i}.example.com`] : [], [
        rule(0, [path('Exact', `/svc/${i}/health`), path('PathPrefix', `/svc/${i}/api`)]),
      ]),
    );
  }
  if (policies) {
    objects.push({
      kind: 'consumer',
      id: 'bench/client',
      generation: 1,
      apiKeys: [{ name: 'k', sha256: createHash('sha256').update(BENCH_KEY).digest('hex') }],
      allowedModels: null,
      allowedRoutes: null,
    });
    objects.push({
      kind: 'policy',
      id: 'bench/auth-and-limit',
      generation: 1,
      targets: [{ kind: 'route', id: 'bench/main' }],
      authentication: { apiKey: { header: null, optional: false } },
      rateLimit: { requests: 1_000_000_000, windowMs: 1000, burst: 0, key: 'consumer' },
    });
  }
  return objects;
}
