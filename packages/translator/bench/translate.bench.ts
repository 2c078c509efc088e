/*
 * Micro-benchmark of translate(): one cluster of 10,000 Routes (a regex match, header matches,
 * URL and Service backends, filters) plus AIModels, Consumers and Policies that refer to them.
 *
 *   npx tsx packages/translator/bench/translate.bench.ts    (from the repo root, no build)
 *   pnpm --filter @hubpo/translator bench                   (tsc -b bench, then plain node)
 *
 * BENCH_ROUTES and BENCH_RUNS change the size.
 *
 * Prints the mean and best time of one translate() call and the resulting ops/s.
 */
import { performance } from 'node:perf_hooks';
import type { AnyResource } from '@hubpo/api';
import { translate } from '@hubpo/translator';

const ROUTES = Number(process.env['BENCH_ROUTES'] ?? 10_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 20);
const WARMUP = 3;

function resources(): AnyResource[] {
  const out: AnyResource[] = [];
  const meta = (name: string, namespace: string) => ({
    name,
    namespace,
    generation: 1,
    creationTimestamp: '2024-01-01T00:00:00Z',
  });
  for (let i = 0; i < ROUTES; i++) {
    const namespace = `team-${i % 100}`;
    out.push({
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'Route',
      metadata: meta(`route-${i}`, namespace),
      spec: {
        hostnames: [`svc-${i}.example.com`],
        rules: [
          {
            matches: [
              { path: { type: 'PathPrefix', value: `/api/${i}` }, method: 'GET' },
              { path: { type: 'RegularExpression', value: `^/items/${i}/[0-9]+$` } },
              { headers: [{ name: 'X-Tenant', value: namespace }] },
            ],
            backends: [
              { url: `http://svc-${i}.internal:8080`, weight: 3 },
              { service: { name: `svc-${i}`, port: 80 } },
            ],
            filters: { requestHeaders: { set: [{ name: 'X-Route', value: `route-${i}` }] } },
            timeouts: { request: '10s' },
          },
        ],
      },
    });
  }
  for (let i = 0; i < 100; i++) {
    out.push({
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'AIModel',
      metadata: meta(`model-${i}`, 'ai'),
      spec: {
        targets: [{ provider: 'mock', model: `m-${i}`, pricing: [{ inputPerMTok: 1, outputPerMTok: 2 }] }],
      },
    });
    out.push({
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'Consumer',
      metadata: meta(`consumer-${i}`, `team-${i}`),
      spec: {
        apiKeys: [{ name: 'k', sha256: i.toString(16).padStart(64, '0') }],
        allowedRoutes: [`route-${i}`],
      },
    });
    out.push({
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'Policy',
      metadata: meta(`policy-${i}`, `team-${i}`),
      spec: {
        targetRefs: [{ kind: 'Route', name: `route-${i}` }],
        rateLimit: { requests: 100, per: 'minute' },
      },
    });
  }
  return out;
}

const input = {
  cluster: { name: 'east-1', labels: {} },
  resources: resources(),
  defaultPlacement: 'all' as const,
};
let objects = 0;
for (let i = 0; i < WARMUP; i++) objects = translate(input).objects.length;
const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  objects = translate(input).objects.length;
  times.push(performance.now() - start);
}
const mean = times.reduce((a, b) => a + b, 0) / times.length;
const best = Math.min(...times);
console.log(
  `translate: ${input.resources.length} resources (${ROUTES} routes) -> ${objects} objects; ` +
    `${RUNS} runs, mean ${mean.toFixed(1)} ms, best ${best.toFixed(1)} ms, ${(1000 / mean).toFixed(1)} ops/s`,
);
