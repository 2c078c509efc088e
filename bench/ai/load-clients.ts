// The three load clients of scenario (d), each run as its own process on the load core.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWrk } from '../lib/wrk.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** One chat-completion call as every subject receives it: same path, headers and body. */
export interface ChatCall {
  /** Full URL of `/v1/chat/completions` on the subject. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface WrkResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: string;
  readonly requests: number;
}

export interface TtfbResult {
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly samples: number;
  readonly errors: number;
  /** The client process's own CPU time. */
  readonly cpuMs: number;
}

export interface OpenLoopResult {
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
  readonly max: number | null;
  readonly serviceP50: number | null;
  readonly serviceP99: number | null;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly lost: number;
  readonly achievedRate: number;
  /** The generator process's own CPU time. */
  readonly cpuMs: number;
}

const PROMPT = [
  { role: 'system', content: 'You are a benchmark.' },
  { role: 'user', content: 'Say twenty words about foxes and dogs, please.' },
];

/** The request body: the same bytes for every subject (`model` is the Hubpo AIModel's name). */
export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, messages: PROMPT, max_tokens: 64, ...(stream ? { stream: true } : {}) });
}

/** Writes the wrk Lua script that POSTs `body` (headers go on the command line). */
export function writeWrkScript(dir: string, body: string): string {
  const file = join(dir, `chat-${Buffer.byteLength(body)}.lua`);
  writeFileSync(file, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\n`);
  return file;
}

/** Closed-loop throughput: wrk, one thread, `connections` keep-alive connections. */
export async function runWrkPost(
  call: ChatCall,
  script: string,
  opts: { core: number; connections: number; duration: number },
): Promise<WrkResult> {
  const headers = Object.entries(call.headers).map(([k, v]) => `${k}: ${v}`);
  return (await runWrk({ url: call.url, script, headers, ...opts })) as WrkResult;
}

/** Sequential streamed calls; time to the first content chunk. */
export function runTtfbClient(
  call: ChatCall,
  body: string,
  opts: { core: number; requests: number; warmup: number },
): Promise<TtfbResult> {
  const { core, ...rest } = opts;
  return runJsonChild<TtfbResult>(core, 'ttfb-client.mjs', {
    url: call.url,
    headers: call.headers,
    body,
    ...rest,
  });
}

/** Constant-rate open-loop load, latency from each request's due time. */
export function runOpenLoop(
  call: ChatCall,
  body: string,
  opts: { core: number; rate: number; seconds: number; warmupSeconds: number; connections: number },
): Promise<OpenLoopResult> {
  const { core, ...rest } = opts;
  return runJsonChild<OpenLoopResult>(core, 'open-loop.mjs', {
    url: call.url,
    headers: call.headers,
    body,
    ...rest,
  });
}

/** Runs `bench/ai/<script>` pinned to `core` and parses the JSON line it prints last. */
function runJsonChild<T>(core: number, script: string, arg: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      'taskset',
      ['-c', String(core), process.execPath, join(here, script), JSON.stringify(arg)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    p.on('error', reject);
    p.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || last === '') reject(new Error(`${script} failed (exit ${code}): ${err}`));
      else resolve(JSON.parse(last) as T);
    });
  });
}
