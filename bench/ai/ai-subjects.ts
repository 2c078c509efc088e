// The processes scenario (d) compares: the mock upstream, the Portkey gateway, the bare Node
// pass-through, nginx and the Hubpo gateway (seeded through the admin API like production).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGatewayProcess, startNodeFloor } from '../lib/gateway-process.mjs';
import { startNginxProxy } from '../lib/nginx.mjs';
import { waitForHttp } from '../lib/wait.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** A running process under test (or the upstream). `pid` is the process whose CPU is charged. */
export interface Subject {
  readonly baseUrl: string;
  readonly pid: number | null;
  stop(): Promise<void>;
  /** The last lines the process wrote to stderr, when they are kept. */
  stderrTail?(): string;
}

/** Where the Portkey gateway's Node entry lives in this repo's install. */
export function portkeyEntry(root: string): string {
  return join(root, 'bench/node_modules/@portkey-ai/gateway/build/start-server.js');
}

/** The installed Portkey gateway's version (from its package.json). */
export function portkeyVersion(root: string): string {
  const pkg = join(root, 'bench/node_modules/@portkey-ai/gateway/package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** Throws a message saying what to install when a tool scenario (d) needs is missing. */
export function assertAiToolsPresent(root: string, has: { nginx: boolean; wrk: boolean }): void {
  const missing: string[] = [];
  if (!has.nginx) missing.push('nginx (apt-get install -y nginx-light)');
  if (!has.wrk) missing.push('wrk (apt-get install -y wrk)');
  if (!existsSync(portkeyEntry(root)))
    missing.push(
      'the Portkey gateway (pnpm install: @portkey-ai/gateway is a devDependency of @hubpo/bench)',
    );
  if (missing.length > 0) throw new Error(`scenario (d) needs ${missing.join(', ')}`);
}

function stopper(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): () => Promise<void> {
  return async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await exited;
  };
}

/** The OpenAI-wire mock upstream on `core`. */
export async function startMockUpstream(core: number, port: number): Promise<Subject> {
  const proc = spawn(
    'taskset',
    ['-c', String(core), process.execPath, join(here, 'mock-openai-upstream.mjs'), String(port)],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}/`);
  return { baseUrl, pid: proc.pid ?? null, stop: stopper(proc) };
}

/**
 * The Portkey gateway as its npm package starts it (`build/start-server.js --headless`), with
 * NODE_ENV=production and the fetch shim that lets its streamed responses through (see
 * portkey-fetch-shim.mjs). Its stderr is kept (last 4 KiB) for `stderrTail`.
 */
export async function startPortkey(root: string, core: number, port: number): Promise<Subject> {
  const proc = spawn(
    'taskset',
    [
      '-c',
      String(core),
      process.execPath,
      '--import',
      join(here, 'portkey-fetch-shim.mjs'),
      portkeyEntry(root),
      `--port=${port}`,
      '--headless',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}/`, 30_000, (s: number) => s === 200);
  return { baseUrl, pid: proc.pid ?? null, stop: stopper(proc), stderrTail: () => stderr };
}

/** The bare ten-line Node pass-through (bare-pass-through.mjs). */
export async function startBarePassThrough(
  core: number,
  port: number,
  upstreamUrl: string,
): Promise<Subject> {
  const floor = await startNodeFloor({
    script: join(here, 'bare-pass-through.mjs'),
    core,
    port,
    target: upstreamUrl,
  });
  return { baseUrl: `http://127.0.0.1:${port}`, pid: floor.pid ?? null, stop: () => floor.stop() };
}

/** nginx as a plain keep-alive reverse proxy (bench/lib/nginx.mjs, defaults untouched). */
export async function startNginx(core: number, port: number, upstreamPort: number): Promise<Subject> {
  const nginx = await startNginxProxy(port, upstreamPort, core);
  return { baseUrl: `http://127.0.0.1:${port}`, pid: nginx.workerPid() ?? null, stop: () => nginx.stop() };
}

interface AdminClient {
  send(method: string, path: string, body?: unknown): Promise<unknown>;
}

const meta = (name: string) => ({ name, namespace: 'default' });

/**
 * Hubpo configured as a user would: an AIModel `model` with one `openai` target at the upstream
 * (no provider credential), a Route serving the AI APIs under /v1/, a Consumer with an API key
 * and a Policy requiring that key on the route.
 */
export async function seedHubpoAi(
  admin: AdminClient,
  opts: { model: string; upstreamUrl: string; apiKey: string },
): Promise<void> {
  const ns = '/api/v1/namespaces/default';
  await admin.send('POST', `${ns}/aimodels`, {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'AIModel',
    metadata: meta(opts.model),
    spec: {
      strategy: 'Fallback',
      targets: [
        {
          name: 'mock-openai',
          provider: 'openai',
          model: opts.model,
          endpoint: `${opts.upstreamUrl}/v1`,
          pricing: [{ inputPerMTok: 0.15, outputPerMTok: 0.6 }],
        },
      ],
    },
  });
  await admin.send('POST', `${ns}/routes`, {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Route',
    metadata: meta('bench-ai'),
    spec: { rules: [{ name: 'ai', matches: [{ path: { type: 'PathPrefix', value: '/v1/' } }], ai: {} }] },
  });
  await admin.send('POST', `${ns}/consumers`, {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Consumer',
    metadata: meta('bench-ai'),
    spec: { apiKeys: [{ name: 'k', value: opts.apiKey }] },
  });
  await admin.send('POST', `${ns}/policies`, {
    apiVersion: 'hubpo.io/v1alpha1',
    kind: 'Policy',
    metadata: meta('bench-ai'),
    spec: { targetRefs: [{ kind: 'Route', name: 'bench-ai' }], authentication: { apiKey: {} } },
  });
}

/** A gateway process of its own (built `dist/main.js`, config over gRPC from the control plane). */
export async function startHubpo(opts: {
  root: string;
  core: number;
  port: number;
  adminPort: number;
  grpcTarget: string;
  dataDir: string;
}): Promise<Subject> {
  const gw = await startGatewayProcess({ ...opts, nodeId: 'bench-gw-ai' });
  return { baseUrl: `http://127.0.0.1:${opts.port}`, pid: gw.pid ?? null, stop: () => gw.stop() };
}
