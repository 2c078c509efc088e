/*
 * `pnpm bench`: the issue-2 benchmarks in one run on this machine (2 cores).
 *   (a) requests/s, p50/p99 and CPU per request of the gateway (API-key auth + rate-limit policy
 *       on) proxying to a local upstream, next to a direct call, nginx as a plain reverse proxy and
 *       two bare Node pass-throughs (http-proxy, undici Pool). Every proxy runs pinned to core 0;
 *       wrk and the upstream (nginx returning a fixed JSON body) share core 1.
 *   (b) admin API write -> change visible in traffic, p50/p99 over 100 changes.
 *   (c) requests/s with 10 routes vs 10,000 routes.
 *   (d) AI gateway (issue 3): chat completions through Hubpo vs direct, Portkey, nginx and a bare
 *       Node pass-through (bench/ai/).
 *   (e) Kubernetes write -> Distributed=True on every targeted gateway, 100 changes (bench/k8s/).
 * Options (env): BENCH_DURATION (s, default 5), BENCH_CONNECTIONS (default 50), BENCH_ONLY=a,b,c,d,e.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createControlPlane, defaultConfig } from '@hubpo/control-plane';
import { getFreePort, startPostgres } from '@hubpo/testkit';
import { startGatewayProcess, startNodeFloor } from './lib/gateway-process.mjs';
import { nginxAvailable, startNginxProxy, startNginxUpstream } from './lib/nginx.mjs';
import { cpuMs, runWrk } from './lib/wrk.mjs';
import { adminClient, measurePropagation, seedRoutes } from './lib/platform-steps.mjs';
import { runAiScenario } from './ai/run-ai-scenario.js';
import { runKubeBenchmark } from './k8s/kube-benchmark.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const duration = Number(process.env['BENCH_DURATION'] ?? 5);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const only = new Set((process.env['BENCH_ONLY'] ?? 'a,b,c,d,e').split(','));
const PROXY_CORE = 0;
const LOAD_CORE = 1;
const API_KEY = 'bench-key-0123456789abcdef';

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  cpuUsPerReq: number | null;
  non2xx: number;
}

async function measure(name: string, url: string, pid: number | null, headers: string[] = []): Promise<Row> {
  await runWrk({ url, core: LOAD_CORE, connections, duration: 1, headers }); // warm-up (JIT, pools)
  const cpuBefore = pid === null ? 0 : cpuMs(pid);
  const r = await runWrk({ url, core: LOAD_CORE, connections, duration, headers });
  const cpu = pid === null ? null : ((cpuMs(pid) - cpuBefore) * 1000) / r.requests;
  return { name, rps: r.rps, p50: r.p50, p99: r.p99, cpuUsPerReq: cpu, non2xx: r.non2xx };
}

function printTable(title: string, rows: Row[], reference?: Row): void {
  console.log(`\n${title}`);
  console.log('| contestant | req/s | p50 ms | p99 ms | CPU µs/req | non-2xx | vs reference |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const ratio = reference === undefined ? '' : `${((r.rps / reference.rps) * 100).toFixed(1)}%`;
    const cpu = r.cpuUsPerReq === null ? 'n/a' : r.cpuUsPerReq.toFixed(1);
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${cpu} | ${r.non2xx} | ${ratio} |`,
    );
  }
}

async function main(): Promise<void> {
  if (!nginxAvailable())
    throw new Error('nginx is needed for the benchmarks: apt-get install -y nginx-light wrk');
  const tmp = mkdtempSync(join(tmpdir(), 'hubpo-bench-'));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const upstreamPort = await getFreePort();
    const upstream = await startNginxUpstream(upstreamPort, LOAD_CORE);
    cleanups.push(() => upstream.stop());
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;

    const pg = await startPostgres();
    cleanups.push(() => pg.stop());
    const token = 'bench-admin-token';
    const cp = await createControlPlane(
      defaultConfig({
        adminToken: token,
        databaseUrl: await pg.createDatabase(),
        dataDir: join(tmp, 'cp'),
        adminAddr: '127.0.0.1:0',
        grpcAddr: '127.0.0.1:0',
        logLevel: 'warn',
        debounceMs: 20,
      }),
    );
    cleanups.push(() => cp.stop());
    const admin = adminClient(cp.adminUrl, token);
    await seedRoutes(admin, { upstreamUrl, count: 10, apiKey: API_KEY });
    await cp.flush();

    const gwPort = await getFreePort();
    const gateway = await startGatewayProcess({
      root,
      core: PROXY_CORE,
      port: gwPort,
      adminPort: await getFreePort(),
      grpcTarget: cp.grpcAddress,
      dataDir: join(tmp, 'gw'),
    });
    cleanups.push(() => gateway.stop());
    const gwUrl = `http://127.0.0.1:${gwPort}`;
    const auth = [`authorization: Bearer ${API_KEY}`];

    if (only.has('a')) {
      const rows: Row[] = [];
      rows.push(await measure('direct (no proxy)', `${upstreamUrl}/svc-5/item`, null));
      const nginxPort = await getFreePort();
      const nginx = await startNginxProxy(nginxPort, upstreamPort, PROXY_CORE);
      rows.push(
        await measure(
          'nginx reverse proxy',
          `http://127.0.0.1:${nginxPort}/svc-5/item`,
          nginx.workerPid() ?? null,
        ),
      );
      await nginx.stop();
      for (const [name, script] of [
        ['bare Node http-proxy', 'floors/http-proxy-floor.mjs'],
        ['bare Node undici Pool', 'floors/undici-floor.mjs'],
      ] as const) {
        const port = await getFreePort();
        const floor = await startNodeFloor({
          script: join(root, 'bench', script),
          core: PROXY_CORE,
          port,
          target: upstreamUrl,
        });
        rows.push(await measure(name, `http://127.0.0.1:${port}/svc-5/item`, floor.pid ?? null));
        await floor.stop();
      }
      rows.push(
        await measure(
          'hubpo gateway (key-auth + rate limit)',
          `${gwUrl}/svc-5/item`,
          gateway.pid ?? null,
          auth,
        ),
      );
      const faster = rows[2]!.rps > rows[3]!.rps ? rows[2]! : rows[3]!;
      printTable(
        `(a) proxy throughput, one core, ${connections} connections, ${duration}s (vs the faster bare Node floor)`,
        rows,
        faster,
      );
      const hubpo = rows[4]!;
      console.log(
        `gateway keeps ${((hubpo.rps / faster.rps) * 100).toFixed(1)}% of the faster floor (${faster.name}); target >= 85%`,
      );
      console.log(
        `floors vs nginx: http-proxy ${((rows[2]!.rps / rows[1]!.rps) * 100).toFixed(1)}%, undici ${((rows[3]!.rps / rows[1]!.rps) * 100).toFixed(1)}%`,
      );
    }

    if (only.has('b')) {
      const p = await measurePropagation(admin, {
        gatewayUrl: gwUrl,
        upstreamUrl,
        changes: 100,
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      console.log(
        `\n(b) admin API write -> traffic served, ${p.samples} changes: p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, max ${(p.max ?? 0).toFixed(1)} ms; target p99 < 500 ms`,
      );
    }

    if (only.has('d')) {
      const ai = { root, tmp, admin, grpcTarget: cp.grpcAddress, duration, connections };
      const rounds = Number(process.env.BENCH_AI_ROUNDS ?? 3);
      if (!Number.isInteger(rounds) || rounds < 1)
        throw new Error('BENCH_AI_ROUNDS must be a whole number >= 1');
      await runAiScenario({ ...ai, proxyCore: PROXY_CORE, loadCore: LOAD_CORE, rounds }); // before (c): 10,000 routes
    }

    if (only.has('c')) {
      const small = await measure('10 routes', `${gwUrl}/svc-5/item`, gateway.pid ?? null, auth);
      await seedRoutes(admin, { upstreamUrl, count: 10_000, apiKey: API_KEY, from: 10 });
      await cp.flush();
      await waitForRoute(`${gwUrl}/svc-9999/item`, auth[0]!);
      const large = await measure('10,000 routes', `${gwUrl}/svc-5000/item`, gateway.pid ?? null, auth);
      printTable('(c) route count', [small, large], small);
      console.log(
        `10,000 routes keep ${((large.rps / small.rps) * 100).toFixed(1)}% of 10 routes' requests/s; target >= 90%`,
      );
    }
  } finally {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error(e));
    rmSync(tmp, { recursive: true, force: true });
  }
  // Self-contained (its own Postgres, control plane and clusters), after the rest has stopped.
  if (only.has('e')) await runKubeBenchmark({ root });
}

async function waitForRoute(url: string, header: string): Promise<void> {
  const [name, value] = header.split(': ') as [string, string];
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const res = await fetch(url, { headers: { [name]: value } });
    await res.arrayBuffer();
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never served`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
