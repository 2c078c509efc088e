/*
 * Profiles the Hubpo gateway on scenario (d)'s path: same upstream, same seeded resources, same
 * gateway process (pinned to core 0), under wrk load for BENCH_DURATION seconds, with V8's CPU
 * profiler (`--cpu-prof`) and, with PROFILE_HEAP=1, the sampling heap profiler (`--heap-prof`).
 * Prints the hottest functions by self time and writes the .cpuprofile for DevTools. With
 * PROFILE_ALLOC=1 instead: bytes allocated per request by allocating function (V8's sampling heap
 * profiler over the inspector, objects the GC already collected included).
 *   node --conditions=hubpo-source --import tsx bench/ai/profile-hubpo.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createControlPlane, defaultConfig } from '@hubpo/control-plane';
import { WebSocket } from 'undici';
import { getFreePort, startPostgres } from '@hubpo/testkit';
import { seedHubpoAi, startMockUpstream } from './ai-subjects.js';
import { chatBody, runOpenLoop, runTtfbClient, runWrkPost, writeWrkScript } from './load-clients.js';
import { pinTree } from '../lib/pin-tree.mjs';
import { waitForHttp } from '../lib/wait.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const duration = Number(process.env.BENCH_DURATION ?? 10);
const MODEL = 'bench-d-chat';
const API_KEY = 'bench-ai-key-0123456789abcdef';

/** utime + stime of `pid` in microseconds (clock ticks of 10 ms on Linux). */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}

function summarize(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const total = profile.nodes.reduce((s, n) => s + n.hitCount, 0);
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const n of profile.nodes) {
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(root, '');
    const key = `${n.callFrame.functionName || '(anon)'} ${url}:${n.callFrame.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + n.hitCount);
    const f = url === '' ? n.callFrame.functionName : url.replace(/.*node_modules\/(\.pnpm\/)?/, 'nm:');
    byFile.set(f, (byFile.get(f) ?? 0) + n.hitCount);
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, hits]) => `${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}`)
      .join('\n');
  console.log(`\nself time by function (${total} samples):\n${top(byFn, 45)}`);
  console.log(`\nself time by file:\n${top(byFile, 30)}`);
}

interface AllocNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: AllocNode[];
}

/** A minimal Chrome DevTools Protocol session over the inspector's WebSocket. */
async function inspectorSession(port: number): Promise<{
  send(method: string, params?: object): Promise<Record<string, unknown>>;
  /** Calls `listener` for each `method` event until the returned function is called. */
  on(method: string, listener: (params: unknown) => void): () => void;
  close(): void;
}> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const ws = new WebSocket(list[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  let nextId = 1;
  const waiting = new Map<number, (result: Record<string, unknown>) => void>();
  const listeners = new Map<string, (params: unknown) => void>();
  ws.addEventListener('message', (event) => {
    const msg = JSON.parse(String(event.data)) as {
      id?: number;
      result?: Record<string, unknown>;
      method?: string;
      params?: unknown;
    };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result ?? {});
    else if (msg.method !== undefined) listeners.get(msg.method)?.(msg.params);
  });
  return {
    send(method, params = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    on(method, listener) {
      listeners.set(method, listener);
      return () => listeners.delete(method);
    },
    close: () => ws.close(),
  };
}

/** Counts and self sizes of a heap snapshot's objects by constructor name, largest first. */
function summarizeSnapshot(text: string): void {
  const snap = JSON.parse(text) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const byName = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name =
      type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + nameAt]!]! : `(${type})`;
    const entry = byName.get(name) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + sizeAt]!;
    byName.set(name, entry);
  }
  console.log('heap snapshot mid-load, by constructor (count, bytes):');
  for (const [name, e] of [...byName.entries()].sort((a, b) => b[1].count - a[1].count).slice(0, 40))
    console.log(`${String(e.count).padStart(8)} ${String(e.bytes).padStart(10)}  ${name}`);
}

function summarizeAllocations(head: AllocNode, requests: number): void {
  const byFn = new Map<string, number>();
  let total = 0;
  const visit = (n: AllocNode): void => {
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(root, '');
    const key = `${n.callFrame.functionName || '(anon)'} ${url}:${n.callFrame.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) visit(c);
  };
  visit(head);
  console.log(`\nallocated ${(total / requests).toFixed(0)} bytes/request (sampled), by function:`);
  for (const [name, bytes] of [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40))
    console.log(`${(bytes / requests).toFixed(0).padStart(7)} B  ${name}`);
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'hubpo-prof-'));
  const pg = await startPostgres();
  const cp = await createControlPlane(
    defaultConfig({
      adminToken: 'prof',
      databaseUrl: await pg.createDatabase(),
      dataDir: join(tmp, 'cp'),
      adminAddr: '127.0.0.1:0',
      grpcAddr: '127.0.0.1:0',
      logLevel: 'warn',
    }),
  );
  const admin = {
    async send(method: string, path: string, body?: unknown): Promise<unknown> {
      const res = await fetch(`${cp.adminUrl}${path}`, {
        method,
        headers: { authorization: 'Bearer prof', 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
  };
  const upstream = await startMockUpstream(1, await getFreePort());
  await seedHubpoAi(admin, { model: MODEL, upstreamUrl: upstream.baseUrl, apiKey: API_KEY });
  if (process.env.PROFILE_TARGET === 'mock') {
    // The built-in mock provider answers in process: the gateway without any upstream call.
    await admin.send('PUT', '/api/v1/namespaces/default/aimodels/' + MODEL, {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'AIModel',
      metadata: { name: MODEL, namespace: 'default' },
      spec: { targets: [{ name: 'mock', provider: 'mock', model: 'mock-1' }] },
    });
  }
  await cp.flush();
  const port = await getFreePort();
  const adminPort = await getFreePort();
  const profDir = join(tmp, 'prof');
  const allocations = process.env.PROFILE_ALLOC === '1';
  const inspecting = allocations || process.env.PROFILE_SNAPSHOT === '1';
  const profiling = process.env.PROFILE_OFF !== '1' && !allocations;
  const inspectPort = await getFreePort();
  const nodeArgs = profiling ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  if (inspecting) nodeArgs.push(`--inspect=127.0.0.1:${inspectPort}`);
  // Extra V8/Node flags for the gateway process, to try settings: PROFILE_NODE_ARGS='--flag ...'.
  nodeArgs.push(...(process.env.PROFILE_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''));
  if (process.env.PROFILE_HEAP === '1') nodeArgs.push('--heap-prof', `--heap-prof-dir=${profDir}`);
  const gw = spawn(
    'taskset',
    ['-c', '0', process.execPath, ...nodeArgs, join(root, 'packages/gateway/dist/main.js')],
    {
      env: {
        ...process.env,
        HUBPO_NODE_ID: 'prof-gw',
        HUBPO_CLUSTER: 'local',
        HUBPO_LISTEN_ADDR: `127.0.0.1:${port}`,
        HUBPO_ADMIN_ADDR: `127.0.0.1:${adminPort}`,
        HUBPO_CONFIG_DRIVER: 'grpc',
        HUBPO_CONTROL_PLANE_GRPC: cp.grpcAddress,
        HUBPO_DATA_DIR: join(tmp, 'gw'),
        HUBPO_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const measureWrk = async (
    call: { url: string; headers: Record<string, string> },
    script: string,
    load: { core: number; connections: number },
  ): Promise<void> => {
    await runWrkPost(call, script, { ...load, duration: 2 });
    const inspector = allocations ? await inspectorSession(inspectPort) : null;
    await inspector?.send('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    const cpuBefore = cpuMicros(gw.pid!);
    const w = await runWrkPost(call, script, { ...load, duration });
    if (inspector !== null) {
      const { profile } = (await inspector.send('HeapProfiler.stopSampling')) as {
        profile: { head: AllocNode };
      };
      inspector.close();
      summarizeAllocations(profile.head, w.requests);
    }
    const cpuPerReq = (cpuMicros(gw.pid!) - cpuBefore) / w.requests;
    console.log(
      `wrk: ${w.rps.toFixed(0)} req/s, p50 ${w.p50} ms, p99 ${w.p99} ms, non-2xx ${w.non2xx}, ` +
        `gateway CPU ${cpuPerReq.toFixed(1)} µs/req${profiling ? ' (profiler on)' : ''}`,
    );
  };
  try {
    await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, 30000, (s: number) => s === 200);
    // The control plane (this process) and Postgres stay on the load core, off the gateway's.
    pinTree(process.pid, 1, [gw.pid!]);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${process.env.PROFILE_BADKEY === '1' ? 'wrong-key-0000000000000000' : API_KEY}`,
      // Scenario (d) sends Portkey's routing headers to every subject.
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${upstream.baseUrl}/v1`,
    };
    if (process.env.PROFILE_IDLE_S !== undefined)
      await new Promise((resolve) => setTimeout(resolve, Number(process.env.PROFILE_IDLE_S) * 1000));
    const call = { url: `http://127.0.0.1:${port}/v1/chat/completions`, headers };
    const body = chatBody(MODEL, process.env.PROFILE_STREAM === '1');
    const script = writeWrkScript(tmp, body);
    for (let i = 0; i < 50; i++) {
      const r = await fetch(call.url, { method: 'POST', headers, body });
      if (r.status !== 200 && process.env.PROFILE_BADKEY !== '1')
        throw new Error(`gateway answered ${r.status}: ${await r.text()}`);
      await r.arrayBuffer();
    }
    if (process.env.PROFILE_TTFB === '1') {
      // Streamed time to first byte, sequential calls: the gateway next to the upstream itself.
      const stream = chatBody(MODEL, true);
      const opts = { core: 1, requests: 400, warmup: 40 };
      const direct = await runTtfbClient(
        { url: `${upstream.baseUrl}/v1/chat/completions`, headers },
        stream,
        opts,
      );
      const viaHubpo = await runTtfbClient(call, stream, opts);
      console.log(
        `TTFB direct p50 ${direct.p50} p99 ${direct.p99}; Hubpo p50 ${viaHubpo.p50} p99 ${viaHubpo.p99} ms`,
      );
    }
    const load = { core: 1, connections: Number(process.env.BENCH_CONNECTIONS ?? 50) };
    if (process.env.PROFILE_RATE !== undefined) {
      // Open loop at a fixed rate (scenario d's added-latency measurement) instead of wrk.
      const rate = Number(process.env.PROFILE_RATE);
      // PROFILE_DIRECT=1: the same load on the upstream itself (the floor of the setup).
      const target =
        process.env.PROFILE_DIRECT === '1'
          ? { url: `${upstream.baseUrl}/v1/chat/completions`, headers }
          : call;
      const running = runOpenLoop(target, body, { ...load, rate, seconds: duration, warmupSeconds: 1 });
      if (process.env.PROFILE_SNAPSHOT === '1') {
        // Objects alive mid-load, counted by constructor (a heap snapshot over the inspector).
        const inspector = await inspectorSession(inspectPort);
        await new Promise((resolve) => setTimeout(resolve, (duration / 2) * 1000));
        let text = '';
        const chunks: string[] = [];
        const collect = inspector.on('HeapProfiler.addHeapSnapshotChunk', (params) => {
          chunks.push((params as { chunk: string }).chunk);
        });
        await inspector.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
        collect();
        text = chunks.join('');
        inspector.close();
        summarizeSnapshot(text);
      }
      if (allocations) {
        // What is alive (retained) while the load runs: sampled allocations not yet collected.
        const inspector = await inspectorSession(inspectPort);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        // Objects collected by scavenges are left out: what stays is what lived through them
        // (promoted to the old generation, or still alive).
        await inspector.send('HeapProfiler.startSampling', {
          samplingInterval: 512,
          includeObjectsCollectedByMajorGC: true,
        });
        await new Promise((resolve) => setTimeout(resolve, (duration - 1) * 1000));
        const { profile } = (await inspector.send('HeapProfiler.stopSampling')) as {
          profile: { head: AllocNode };
        };
        inspector.close();
        console.log('allocations that outlived the young generation, per request of the period:');
        summarizeAllocations(profile.head, rate * (duration - 1));
      }
      const r = await running;
      console.log(
        `open loop ${rate}/s: p50 ${r.p50} p99 ${r.p99} p99.9 ${r.p999} max ${r.max} ms, ` +
          `service p99 ${r.serviceP99} ms, ok ${r.ok}, lost ${r.lost}`,
      );
    }
    if (process.env.PROFILE_RATE === undefined) await measureWrk(call, script, load);
  } finally {
    const exited = new Promise((r) => gw.once('exit', r));
    gw.kill('SIGTERM');
    await exited;
    await upstream.stop();
    await cp.stop();
    await pg.stop();
  }
  for (const f of profiling ? readdirSync(profDir) : []) {
    console.log(`profile: ${join(profDir, f)}`);
    if (f.endsWith('.cpuprofile')) summarize(join(profDir, f));
  }
  if (process.env.PROFILE_KEEP !== '1') rmSync(join(tmp, 'cp'), { recursive: true, force: true });
}

await main();
