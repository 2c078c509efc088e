/*
 * Scenario (d) of `pnpm bench` (issue 3): OpenAI chat completions through the Hubpo gateway next
 * to a direct call, the Portkey gateway, nginx and a bare Node pass-through, all on one mock
 * upstream. Each proxy runs alone on the proxy core; the upstream and every load client share
 * the load core. Per subject, after a warm-up: wrk throughput (non-streaming), sequential streamed
 * time to first byte, and latency at a fixed open-loop rate.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '@hubpo/testkit';
import { checkTargets, isNoisy, printAiReport } from './ai-report.js';
import type { SubjectFigures, SubjectId } from './ai-report.js';
import {
  assertAiToolsPresent,
  portkeyVersion,
  seedHubpoAi,
  startBarePassThrough,
  startHubpo,
  startMockUpstream,
  startNginx,
  startPortkey,
} from './ai-subjects.js';
import type { Subject } from './ai-subjects.js';
import { watchCore } from './watch-core.js';
import { chatBody, runOpenLoop, runTtfbClient, runWrkPost, writeWrkScript } from './load-clients.js';
import type { ChatCall } from './load-clients.js';
import { nginxAvailable } from '../lib/nginx.mjs';
import { pinTree } from '../lib/pin-tree.mjs';

export interface AiScenarioOptions {
  /** Repository root. */
  readonly root: string;
  /** Scratch directory (removed by the caller). */
  readonly tmp: string;
  /** Admin API client of the running control plane. */
  readonly admin: { send(method: string, path: string, body?: unknown): Promise<unknown> };
  /** The control plane's gRPC address for the gateway process. */
  readonly grpcTarget: string;
  /** Seconds per measurement (wrk and the open loop). */
  readonly duration: number;
  /** wrk connections, and the open loop's connection cap. */
  readonly connections: number;
  readonly proxyCore: number;
  readonly loadCore: number;
  /** Rounds over all subjects; figures are medians over them (`BENCH_AI_ROUNDS`, default 3). */
  readonly rounds: number;
}

const MODEL = 'bench-d-chat';
const API_KEY = 'bench-ai-key-0123456789abcdef';
const RATE = 1000;

/** Runs scenario (d), prints the table and the targets, writes bench/results/ai-gateway-*.json. */
export async function runAiScenario(o: AiScenarioOptions): Promise<void> {
  const wrk = spawnSync('wrk', ['-v']).error === undefined;
  assertAiToolsPresent(o.root, { nginx: nginxAvailable(), wrk });
  const loadStart = loadavg()[0] ?? 0;
  const ttfbRequests = Math.max(100, Math.round(80 * o.duration));
  const plain = chatBody(MODEL, false);
  const stream = chatBody(MODEL, true);
  const script = writeWrkScript(o.tmp, plain);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const upstreamPort = await getFreePort();
    const upstream = await startMockUpstream(o.loadCore, upstreamPort);
    cleanups.push(() => upstream.stop());
    // Same headers for every subject: the Hubpo key doubles as the provider key Portkey forwards;
    // Portkey's routing headers are ignored (forwarded) by the others.
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${API_KEY}`,
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${upstream.baseUrl}/v1`,
    };
    await seedHubpoAi(o.admin, { model: MODEL, upstreamUrl: upstream.baseUrl, apiKey: API_KEY });
    // A Hubpo gateway process configured by the control plane, serving once its config applied.
    // Like every other proxy it is started right before its own measurement (a first one here
    // only checks the setup, so a broken gateway fails the run before minutes of measuring).
    const startServingHubpo = async (): Promise<Subject> => {
      const hubpo = await startHubpo({
        root: o.root,
        core: o.proxyCore,
        port: await getFreePort(),
        adminPort: await getFreePort(),
        grpcTarget: o.grpcTarget,
        dataDir: join(o.tmp, `gw-ai-${Date.now()}`),
      });
      try {
        await waitUntilServing({ url: `${hubpo.baseUrl}/v1/chat/completions`, headers }, plain);
      } catch (err) {
        await hubpo.stop();
        throw err;
      }
      return hubpo;
    };
    const check = await startServingHubpo();
    try {
      await verify({ url: `${check.baseUrl}/v1/chat/completions`, headers }, plain, stream); // fail fast
    } finally {
      await check.stop();
    }
    // Everything but the measured proxies off the proxy core: this process (the control plane,
    // which stores Hubpo's usage records) and Postgres with its backends join the load core.
    pinTree(process.pid, o.loadCore);

    const measure = async (id: SubjectId, name: string, subject: Subject): Promise<SubjectFigures> => {
      const call: ChatCall = { url: `${subject.baseUrl}/v1/chat/completions`, headers };
      await verify(call, plain, stream);
      const load = { core: o.loadCore, connections: o.connections };
      await runWrkPost(call, script, { ...load, duration: 2 }); // warm-up (JIT tiers, pools)
      const proxyPids = subject.pid === null ? [] : [subject.pid];
      const upstreamPids = upstream.pid === null ? [] : [upstream.pid];
      let watch = watchCore(o.proxyCore, proxyPids);
      const w = await runWrkPost(call, script, { ...load, duration: o.duration });
      const duringWrk = watch.stop();
      watch = watchCore(o.proxyCore, proxyPids);
      let loadWatch = watchCore(o.loadCore, upstreamPids);
      const ttfb = await runTtfbClient(call, stream, {
        core: o.loadCore,
        requests: ttfbRequests,
        warmup: 40,
      });
      const duringTtfb = watch.stop();
      const loadDuringTtfb = loadWatch.stop(ttfb.cpuMs);
      watch = watchCore(o.proxyCore, proxyPids);
      loadWatch = watchCore(o.loadCore, upstreamPids);
      const openLoop = await runOpenLoop(call, plain, {
        ...load,
        rate: RATE,
        seconds: o.duration,
        warmupSeconds: 1,
      });
      const duringOpenLoop = watch.stop();
      const loadDuringOpenLoop = loadWatch.stop(openLoop.cpuMs);
      const perRequest = (ms: number, requests: number) =>
        subject.pid === null ? null : (ms * 1000) / requests;
      const cpuUsPerReq = perRequest(duringWrk.subjectMs, w.requests);
      const cpuUsPerReqAtRate = perRequest(duringOpenLoop.subjectMs, RATE * (o.duration + 1));
      const platformUsPerReq = (duringWrk.platformMs * 1000) / w.requests;
      const othersPct = {
        wrk: duringWrk.othersPct,
        ttfb: duringTtfb.othersPct,
        openLoop: duringOpenLoop.othersPct,
      };
      const loadCoreOthersPct = { ttfb: loadDuringTtfb.othersPct, openLoop: loadDuringOpenLoop.othersPct };
      console.log(
        `(d) ${name}: ${w.rps.toFixed(0)} req/s, TTFB p50 ${ttfb.p50?.toFixed(3)} ms, ` +
          `p99 at ${RATE}/s ${openLoop.p99?.toFixed(3)} ms`,
      );
      return {
        id,
        name,
        wrk: w,
        cpuUsPerReq,
        cpuUsPerReqAtRate,
        platformUsPerReq,
        othersPct,
        loadCoreOthersPct,
        ttfb,
        openLoop,
      };
    };
    const alone = async (
      id: SubjectId,
      name: string,
      start: () => Promise<Subject>,
    ): Promise<SubjectFigures> => {
      const subject = await start();
      try {
        return await measure(id, name, subject);
      } catch (err) {
        const tail = subject.stderrTail?.() ?? '';
        throw tail === '' ? err : new Error(`${name}: ${String(err)}\n${name} stderr:\n${tail}`);
      } finally {
        await subject.stop();
      }
    };

    // Rounds: every subject once per round, in the same order; each figure is the median over
    // the rounds, so a slow spell of the (shared, virtual) machine moves one round, not a verdict.
    // The bare pass-through runs right before Hubpo, so each round also gives a paired ratio.
    const subjects: readonly [SubjectId, string, () => Promise<SubjectFigures>][] = [
      [
        'direct',
        'direct (no proxy)',
        () => measure('direct', 'direct (no proxy)', { ...upstream, pid: null }),
      ],
      [
        'nginx',
        'nginx reverse proxy',
        () =>
          alone('nginx', 'nginx reverse proxy', async () =>
            startNginx(o.proxyCore, await getFreePort(), upstreamPort),
          ),
      ],
      [
        'portkey',
        `Portkey gateway ${portkeyVersion(o.root)}`,
        () =>
          alone('portkey', `Portkey gateway ${portkeyVersion(o.root)}`, async () =>
            startPortkey(o.root, o.proxyCore, await getFreePort()),
          ),
      ],
      [
        'bare',
        'bare Node pass-through',
        () =>
          alone('bare', 'bare Node pass-through', async () =>
            startBarePassThrough(o.proxyCore, await getFreePort(), upstream.baseUrl),
          ),
      ],
      [
        'hubpo',
        'Hubpo gateway (API key auth)',
        () => alone('hubpo', 'Hubpo gateway (API key auth)', startServingHubpo),
      ],
    ];
    const perRound: SubjectFigures[][] = [];
    for (let round = 1; round <= o.rounds; round++) {
      if (o.rounds > 1) console.log(`(d) round ${round} of ${o.rounds}`);
      const figures: SubjectFigures[] = [];
      for (const [, , run] of subjects) figures.push(await run());
      perRound.push(figures);
    }
    const rows: SubjectFigures[] = subjects.map((_, i) => medianFigures(perRound.map((r) => r[i]!)));
    const rps = (round: readonly SubjectFigures[], id: SubjectId): number =>
      round.find((f) => f.id === id)!.wrk.rps;
    const paired = perRound.map((round) => ({
      hubpoVsBarePct: (100 * rps(round, 'hubpo')) / rps(round, 'bare'),
      hubpoVsPortkey: rps(round, 'hubpo') / rps(round, 'portkey'),
    }));

    const checks = checkTargets(rows, RATE);
    const loadAverage = { start: loadStart, end: loadavg()[0] ?? 0 };
    const setup = {
      duration: o.duration,
      connections: o.connections,
      rate: RATE,
      ttfbRequests,
      rounds: o.rounds,
      loadAverage,
    };
    printAiReport(rows, checks, setup);
    console.log(
      `per round (Hubpo right after bare): Hubpo vs bare ${paired.map((p) => `${p.hubpoVsBarePct.toFixed(1)}%`).join(', ')}; ` +
        `Hubpo vs Portkey ${paired.map((p) => `${p.hubpoVsPortkey.toFixed(2)}x`).join(', ')}`,
    );
    const dir = join(o.root, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `ai-gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version };
    writeFileSync(
      file,
      `${JSON.stringify({ scenario: 'd', date: new Date(), machine, setup, noisy: isNoisy(rows), rows, checks, paired, rounds: perRound }, null, 2)}\n`,
    );
    console.log(`figures written to ${file}`);
  } finally {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error(e));
  }
}

/** One plain and one streamed call must answer like the upstream before a subject is measured. */
async function verify(call: ChatCall, plain: string, stream: string): Promise<void> {
  for (const [body, expected] of [
    [plain, ['The quick brown fox', '"completion_tokens":20']],
    [stream, ['"content":"The"', '"content":" client"', 'data: [DONE]']],
  ] as const) {
    const res = await fetch(call.url, { method: 'POST', headers: call.headers, body });
    const text = await res.text();
    if (res.status !== 200 || !expected.every((e) => text.includes(e)))
      throw new Error(`${call.url} answered ${res.status}: ${text.slice(0, 300)}`);
  }
}

/** Polls until the gateway applied the AI config and answers 200 (60 s at most). */
async function waitUntilServing(call: ChatCall, body: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(call.url, { method: 'POST', headers: call.headers, body }).catch(() => null);
    if (res !== null) {
      last = `${res.status} ${(await res.text()).slice(0, 200)}`;
      if (res.status === 200) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the Hubpo gateway never served ${call.url}: ${last}`);
}

/** The median of a list of numbers (the lower middle one for an even count). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * Field by field, the median of one subject's figures over the rounds (numbers; null when any
 * round has none; other values from the first round).
 */
function medianFigures(rounds: readonly SubjectFigures[]): SubjectFigures {
  const merge = (values: readonly unknown[]): unknown => {
    const first = values[0];
    if (typeof first === 'number') {
      return values.some((v) => typeof v !== 'number') ? null : median(values as number[]);
    }
    if (values.some((v) => v === null)) return null;
    if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(first))
        out[key] = merge(values.map((v) => (v as Record<string, unknown>)[key]));
      return out;
    }
    return first;
  };
  return merge(rounds) as SubjectFigures;
}
