// Runs every gateway benchmark on one upstream and prints req/s, latency and the ratio of the
// full gateway to the faster floor (the ADR 0005 target: >= 85%). Needs `pnpm build`.
//   node packages/gateway/bench/run.mjs [--duration 5s] [--connections 50] [--runs 3] [--only gateway]
import { fileURLToPath } from 'node:url';
import { benchOptions, measure } from './bench-kit.mjs';
import { BENCH_KEY } from './bench-config.mjs';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const options = benchOptions();
const gateway = here('./gateway.mjs');
const targets = [
  { name: 'reference: nginx proxy', nginx: true },
  { name: 'floor: http-proxy', file: here('./floor-http-proxy.mjs') },
  { name: 'floor: undici Pool.stream', file: here('./floor-undici.mjs') },
  { name: 'floor: undici Pool.request', file: here('./floor-undici-request.mjs') },
  { name: 'floor: undici dispatch (native cb)', file: here('./floor-undici-dispatch.mjs') },
  {
    name: 'floor: undici dispatch (controller)',
    file: here('./floor-undici-dispatch.mjs'),
    args: ['--controller'],
  },
  { name: 'gateway (100 routes)', file: gateway, args: ['--routes', '100'] },
  { name: 'gateway (10k routes)', file: gateway, args: ['--routes', '10000'] },
  { name: 'gateway + metrics', file: gateway, args: ['--routes', '100', '--telemetry'] },
  {
    name: 'gateway + key auth + rate limit',
    file: gateway,
    args: ['--routes', '100', '--policies'],
    headers: [`x-api-key: ${BENCH_KEY}`],
  },
].filter((t) => options.only === undefined || t.name.includes(options.only));

const results = await measure(targets, options);
const rps = (name) => results.find((r) => r.name === name)?.rps;
const floors = results.filter(
  (r) => r.name === 'floor: http-proxy' || r.name.startsWith('floor: undici Pool'),
);
if (floors.length > 0) {
  const faster = floors.reduce((a, b) => (b.rps > a.rps ? b : a));
  console.log(`# faster floor: ${faster.name} (${faster.rps.toFixed(0)} req/s)`);
  for (const r of results.filter((x) => x.name.startsWith('gateway'))) {
    const perCpu = ((r.perCpuSecond / faster.perCpuSecond) * 100).toFixed(1);
    console.log(
      `# ${r.name}: ${((r.rps / faster.rps) * 100).toFixed(1)}% of the faster floor (${perCpu}% per proxy CPU-second)`,
    );
  }
  const hp = rps('floor: http-proxy');
  if (hp !== undefined)
    console.log(`# floor http-proxy: ${((hp / faster.rps) * 100).toFixed(1)}% of the faster floor`);
}
const nginx = rps('reference: nginx proxy');
if (nginx !== undefined) {
  for (const r of results.filter((x) => !x.name.startsWith('reference'))) {
    console.log(`# ${r.name}: ${((r.rps / nginx) * 100).toFixed(1)}% of nginx`);
  }
}
