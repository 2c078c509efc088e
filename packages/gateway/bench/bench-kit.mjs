// Shared plumbing of the gateway benchmarks: an upstream (nginx when installed, else node),
// the proxy under test pinned to one core, wrk pinned to the other, and result parsing.
// Layout on a 2-core machine: proxy on CPU 0; wrk and the upstream share CPU 1.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export const UPSTREAM_BODY =
  '{"ok":true,"service":"bench-upstream","padding":"0123456789abcdef0123456789abcdef"}\n';

/** Options every bench script understands. */
export function benchOptions() {
  const { values } = parseArgs({
    strict: false,
    options: {
      serve: { type: 'boolean', default: false },
      port: { type: 'string' },
      upstream: { type: 'string' },
      duration: { type: 'string', default: '5s' },
      connections: { type: 'string', default: '50' },
      warmup: { type: 'string', default: '2s' },
      runs: { type: 'string', default: '1' },
      'proxy-cpu': { type: 'string', default: '0' },
      'load-cpu': { type: 'string', default: availableParallelism() > 1 ? '1' : '0' },
      'node-upstream': { type: 'boolean', default: false },
      telemetry: { type: 'boolean', default: false },
      policies: { type: 'boolean', default: false },
      routes: { type: 'string', default: '100' },
      only: { type: 'string' },
    },
  });
  return values;
}

/**
 * The gateway's runtime module: the build (`pnpm build`) or, when started through `npx tsx`,
 * the TypeScript source.
 */
export async function importRuntime(file) {
  const dist = new URL(`../dist/runtime/${file}.js`, import.meta.url);
  if (existsSync(dist)) return import(dist.href);
  try {
    return await import(new URL(`../src/runtime/${file}.ts`, import.meta.url).href);
  } catch (error) {
    throw new Error(
      `no build of the gateway runtime: run \`pnpm build\` first, or start this script with \`npx tsx\` (${error.message})`,
    );
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

function pinned(cpu, command, args) {
  return hasCommand('taskset') ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

async function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    }).catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
}

function nginxBinary() {
  if (existsSync('/usr/sbin/nginx')) return '/usr/sbin/nginx';
  return hasCommand('nginx') ? 'nginx' : null;
}

/** Runs one nginx worker pinned to `cpu` with `server` as its only server block. */
async function startNginx(cpu, port, server) {
  const dir = mkdtempSync(join(tmpdir(), 'hubpo-bench-nginx-'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${server}
}
`,
  );
  const [command, args] = pinned(cpu, nginxBinary(), ['-c', conf, '-p', dir]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port);
  return {
    pid: child.pid,
    stop: async () => {
      child.kill('SIGQUIT');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts the upstream: nginx (`return 200` of a small JSON body) or a node server. */
export async function startUpstream(cpu, preferNode = false) {
  const port = await freePort();
  if (!preferNode && nginxBinary() !== null) {
    const nginx = await startNginx(
      cpu,
      port,
      `  server {
    listen 127.0.0.1:${port};
    location / {
      default_type application/json;
      return 200 '${UPSTREAM_BODY.trim()}\\n';
    }
  }`,
    );
    return { kind: 'nginx', url: `http://127.0.0.1:${port}`, stop: nginx.stop };
  }
  const script = `
    const body = ${JSON.stringify(UPSTREAM_BODY)};
    require('node:http').createServer({ keepAliveTimeout: 60000 }, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }).listen(${port}, '127.0.0.1');`;
  const [command, args] = pinned(cpu, process.execPath, ['-e', script]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port);
  return {
    kind: 'node',
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** nginx as the proxy under test (one worker, keep-alive upstream): the reference the floors are compared with. */
export async function startNginxProxy(cpu, upstream) {
  if (nginxBinary() === null) return null;
  const port = await freePort();
  const nginx = await startNginx(
    cpu,
    port,
    `  upstream backend {
    server ${new URL(upstream).host};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }`,
  );
  return { url: `http://127.0.0.1:${port}`, pid: nginx.pid, stop: nginx.stop };
}

/** Starts `file --serve` (a proxy) pinned to `cpu`; resolves once it listens. */
export async function startProxy(file, cpu, upstream, extraArgs = []) {
  const port = await freePort();
  // execArgv carries a loader (`npx tsx`), so a proxy runs the way this script was started.
  const nodeArgs = [
    ...process.execArgv,
    file,
    '--serve',
    '--port',
    String(port),
    '--upstream',
    upstream,
    ...extraArgs,
  ];
  const [command, args] = pinned(cpu, process.execPath, nodeArgs);
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  await waitForPort(port, 30_000);
  return {
    url: `http://127.0.0.1:${port}`,
    // taskset execs the command, so this is the proxy's own pid.
    pid: child.pid,
    stop: async () => {
      child.kill();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Runs wrk pinned to `cpu`; returns { rps, latency: { avg, p50, p90, p99 } (ms), errors }. */
export function runWrk(url, cpu, { duration, connections }, headers = []) {
  const wrk = existsSync('/usr/bin/wrk') ? '/usr/bin/wrk' : 'wrk';
  const headerArgs = headers.flatMap((h) => ['-H', h]);
  const [command, args] = pinned(cpu, wrk, [
    '-t1',
    `-c${connections}`,
    `-d${duration}`,
    '--latency',
    ...headerArgs,
    `${url}/bench/item?id=42`,
  ]);
  const out = spawnSync(command, args, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr || out.stdout}`);
  return parseWrk(out.stdout);
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000 };
function ms(text) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
}

export function parseWrk(text) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
  const avg = ms(/Latency\s+(\S+)/.exec(text)?.[1] ?? '');
  const pct = (p) => ms(new RegExp(`\\s${p}%\\s+(\\S+)`).exec(text)?.[1] ?? '');
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const socketErrors = /Socket errors: (.*)/.exec(text)?.[1] ?? '';
  return { rps, requests, latency: { avg, p50: pct(50), p90: pct(90), p99: pct(99) }, non2xx, socketErrors };
}

/** CPU seconds (user + system) a process used so far, from /proc; NaN where there is no /proc. */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function busyFraction(ms) {
  const read = () => {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3] + (cpu[4] ?? 0);
    return { idle, total: cpu.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  const until = Date.now() + ms;
  while (Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  const b = read();
  const total = b.total - a.total;
  return total <= 0 ? 0 : 1 - (b.idle - a.idle) / total;
}

/**
 * Waits (up to `maxMs`) until the machine is quiet: other work running during a run (builds,
 * test suites) steals CPU from the proxy or from wrk and only ever lowers req/s. Returns false
 * when it never got quiet.
 */
export function waitForQuiet(maxMs = 60_000, threshold = 0.1) {
  if (!existsSync('/proc/stat')) return true;
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    if (busyFraction(500) < threshold) return true;
  }
  return false;
}

function line(name, result) {
  const l = result.latency;
  return (
    `${name.padEnd(36)} ${result.rps.toFixed(0).padStart(8)} req/s   latency avg ${l.avg.toFixed(2)} ms  ` +
    `p50 ${l.p50.toFixed(2)}  p90 ${l.p90.toFixed(2)}  p99 ${l.p99.toFixed(2)} ms` +
    (Number.isFinite(result.perCpuSecond)
      ? `   ${result.perCpuSecond.toFixed(0).padStart(6)} req per proxy CPU-s`
      : '') +
    (result.quiet === false ? '   (machine busy)' : '') +
    (result.non2xx > 0 ? `   non-2xx ${result.non2xx}` : '') +
    (result.socketErrors ? `   socket errors ${result.socketErrors}` : '')
  );
}

/**
 * Measures every target against one upstream. All proxies start first (idle ones cost nothing)
 * and are then measured in interleaved rounds (A B C, A B C, ...), each run after the machine
 * went quiet, keeping each target's best run: contention only ever lowers a run, and
 * interleaving spreads what remains over all targets instead of biasing one. Next to req/s it
 * reports requests per CPU-second of the proxy process, which contention on the load side does
 * not move. Prints one line per target and returns the results.
 */
export async function measure(targets, options) {
  const proxyCpu = options['proxy-cpu'];
  const loadCpu = options['load-cpu'];
  const upstream = await startUpstream(loadCpu, options['node-upstream']);
  const rounds = Number(options.runs);
  console.log(
    `# upstream: ${upstream.kind}; proxy on CPU ${proxyCpu}, wrk on CPU ${loadCpu}; ` +
      `wrk -t1 -c${options.connections} -d${options.duration}; ${rounds} interleaved round(s), best kept; node ${process.version}`,
  );
  const proxies = [];
  try {
    for (const target of targets) {
      const proxy = target.nginx
        ? await startNginxProxy(proxyCpu, upstream.url)
        : await startProxy(target.file, proxyCpu, upstream.url, target.args ?? []);
      if (proxy === null) throw new Error(`${target.name}: nginx is not installed`);
      proxies.push(proxy);
    }
    const best = targets.map(() => null);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < targets.length; i++) {
        const headers = targets[i].headers ?? [];
        const warmup = round === 0 ? options.warmup : '1s';
        runWrk(proxies[i].url, loadCpu, { duration: warmup, connections: options.connections }, headers);
        const quiet = waitForQuiet();
        const cpuBefore = cpuSeconds(proxies[i].pid);
        const result = runWrk(proxies[i].url, loadCpu, options, headers);
        result.perCpuSecond = result.requests / (cpuSeconds(proxies[i].pid) - cpuBefore);
        result.quiet = quiet;
        if (rounds > 1) console.log(`  round ${round + 1}: ${line(targets[i].name, result)}`);
        if (best[i] === null || result.rps > best[i].rps) best[i] = result;
      }
    }
    const results = targets.map((t, i) => ({ name: t.name, ...best[i] }));
    for (const r of results) console.log(line(r.name, r));
    return results;
  } finally {
    for (const proxy of proxies) await proxy.stop();
    await upstream.stop();
  }
}
