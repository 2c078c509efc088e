/*
 * Scenario (e) alone, without the nginx/wrk set-up of `bench/run.ts`:
 *   node --conditions=hubpo-source --import tsx bench/k8s/run-kube-benchmark.ts
 * Options (env): BENCH_K8S_CHANGES (default 100), BENCH_K8S_GATEWAYS (per cluster, default 2),
 * BENCH_K8S_BREAKDOWN=1 (also time the write reaching the control plane; polls its admin API),
 * BENCH_K8S_DEBOUNCE_MS (the control plane's debounce, default its production default).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runKubeBenchmark } from './kube-benchmark.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

runKubeBenchmark({
  root,
  changes: Number(process.env['BENCH_K8S_CHANGES'] ?? 100),
  gatewaysPerCluster: Number(process.env['BENCH_K8S_GATEWAYS'] ?? 2),
  breakdown: process.env['BENCH_K8S_BREAKDOWN'] === '1',
}).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
