// Scenario (d)'s figures: the table, the issue-3 targets with PASS/MISS, and the JSON record.
import type { OpenLoopResult, TtfbResult, WrkResult } from './load-clients.js';

export type SubjectId = 'direct' | 'nginx' | 'bare' | 'portkey' | 'hubpo';

export interface SubjectFigures {
  readonly id: SubjectId;
  readonly name: string;
  readonly wrk: WrkResult;
  /** utime + stime of the proxy process over the wrk run / requests; null for the direct call. */
  readonly cpuUsPerReq: number | null;
  /** The same at the fixed open-loop rate (over its warm-up and run). */
  readonly cpuUsPerReqAtRate: number | null;
  /** CPU of the control plane and Postgres (usage ingestion) per request over the wrk run. */
  readonly platformUsPerReq: number;
  /** % of the proxy core's time used by other processes during each measurement (noise). */
  readonly othersPct: { readonly wrk: number; readonly ttfb: number; readonly openLoop: number };
  /**
   * % of the load core's time used by processes other than the upstream and the latency client
   * during the latency measurements (wrk's core is not judged: wrk fills it).
   */
  readonly loadCoreOthersPct: { readonly ttfb: number; readonly openLoop: number };
  readonly ttfb: TtfbResult;
  readonly openLoop: OpenLoopResult;
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean;
}

const f = (v: number | null | undefined, digits = 3): string =>
  v === null || v === undefined ? 'n/a' : v.toFixed(digits);

function byId(rows: readonly SubjectFigures[], id: SubjectId): SubjectFigures {
  const row = rows.find((r) => r.id === id);
  if (row === undefined) throw new Error(`no figures for ${id}`);
  return row;
}

/** Above this share of a core used by other processes during a measurement, the run is noisy. */
export const NOISE_LIMIT_PCT = 5;

/** Whether other programs took a noticeable share of a core while figures were measured. */
export function isNoisy(rows: readonly SubjectFigures[]): boolean {
  return rows.some((r) => maxOthers(r) > NOISE_LIMIT_PCT);
}

/** The worst noise a subject's figures saw: core 0 (not for the direct call, which does not use it) and core 1. */
const maxOthers = (r: SubjectFigures): number =>
  Math.max(
    ...(r.id === 'direct' ? [] : [r.othersPct.wrk, r.othersPct.ttfb, r.othersPct.openLoop]),
    r.loadCoreOthersPct.ttfb,
    r.loadCoreOthersPct.openLoop,
  );

const signed = (v: number | null): string => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(3)}`);

const minus = (a: number | null, b: number | null): number | null =>
  a === null || b === null ? null : a - b;

/** Requests per CPU-second of the proxy process (1e6 / CPU µs per request): capacity of one core. */
const perCpuSecond = (r: SubjectFigures): number | null =>
  r.cpuUsPerReq === null || r.cpuUsPerReq <= 0 ? null : 1e6 / r.cpuUsPerReq;

/** a's requests per CPU-second over b's, times `scale` (1 for a ratio, 100 for a percentage). */
function cpuRatio(a: SubjectFigures, b: SubjectFigures, scale: number): string {
  const x = perCpuSecond(a);
  const y = perCpuSecond(b);
  return x === null || y === null ? 'n/a' : ((x / y) * scale).toFixed(scale === 1 ? 2 : 1);
}

/** The issue-3 acceptance targets, judged on this run's figures. */
export function checkTargets(rows: readonly SubjectFigures[], rate: number): TargetCheck[] {
  const direct = byId(rows, 'direct');
  const hubpo = byId(rows, 'hubpo');
  const portkey = byId(rows, 'portkey');
  const bare = byId(rows, 'bare');
  const vsPortkey = hubpo.wrk.rps / portkey.wrk.rps;
  const vsBare = hubpo.wrk.rps / bare.wrk.rps;
  const addedP99 = minus(hubpo.openLoop.p99, direct.openLoop.p99);
  const ttfbP50 = minus(hubpo.ttfb.p50, direct.ttfb.p50);
  const ttfbP99 = minus(hubpo.ttfb.p99, direct.ttfb.p99);
  const clean = hubpo.wrk.non2xx === 0 && hubpo.openLoop.errors + hubpo.openLoop.non2xx === 0;
  return [
    {
      target: "Hubpo req/s >= 10x Portkey's",
      measured:
        `${vsPortkey.toFixed(2)}x (${hubpo.wrk.rps.toFixed(0)} vs ${portkey.wrk.rps.toFixed(0)}); ` +
        `per CPU-second of the proxy ${cpuRatio(hubpo, portkey, 1)}x`,
      pass: clean && vsPortkey >= 10,
    },
    {
      target: "Hubpo req/s >= 70% of the bare Node pass-through's",
      measured:
        `${(vsBare * 100).toFixed(1)}% (${hubpo.wrk.rps.toFixed(0)} vs ${bare.wrk.rps.toFixed(0)}); ` +
        `per CPU-second of the proxy ${cpuRatio(hubpo, bare, 100)}%`,
      pass: clean && vsBare >= 0.7,
    },
    {
      target: `added p99 <= 1 ms at ${rate} req/s (Hubpo p99 - direct p99)`,
      measured: `${signed(addedP99)} ms (${f(hubpo.openLoop.p99)} vs ${f(direct.openLoop.p99)})`,
      pass: clean && addedP99 !== null && addedP99 <= 1,
    },
    {
      target: 'streamed TTFB p50 within 1 ms of direct',
      measured: `${signed(ttfbP50)} ms (${f(hubpo.ttfb.p50)} vs ${f(direct.ttfb.p50)})`,
      pass: hubpo.ttfb.errors === 0 && ttfbP50 !== null && ttfbP50 <= 1,
    },
    {
      target: 'streamed TTFB p99 within 1 ms of direct',
      measured: `${signed(ttfbP99)} ms (${f(hubpo.ttfb.p99)} vs ${f(direct.ttfb.p99)})`,
      pass: hubpo.ttfb.errors === 0 && ttfbP99 !== null && ttfbP99 <= 1,
    },
  ];
}

/** Prints the two comparison tables and the targets to stdout. */
export function printAiReport(
  rows: readonly SubjectFigures[],
  checks: readonly TargetCheck[],
  setup: {
    duration: number;
    connections: number;
    rate: number;
    ttfbRequests: number;
    loadAverage: { start: number; end: number };
  },
): void {
  const direct = byId(rows, 'direct');
  const bare = byId(rows, 'bare');
  const pct = (v: number) => `${v.toFixed(1)}%`;
  const others = (r: SubjectFigures, v: number) => (r.id === 'direct' ? '-' : pct(v));
  console.log(
    `\n(d) AI gateway: OpenAI chat completions, each proxy alone on core 0, upstream and clients on core 1`,
  );
  console.log(`\nthroughput, non-streaming: wrk ${setup.connections} connections, ${setup.duration} s`);
  console.log(
    '| subject | req/s | p50 ms | p99 ms | vs bare | CPU µs/req | req per CPU-s | CP + Postgres µs/req | failed | core 0 others |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const failed = r.wrk.non2xx + r.openLoop.non2xx + r.openLoop.errors + r.ttfb.errors;
    console.log(
      `| ${r.name} | ${r.wrk.rps.toFixed(0)} | ${f(r.wrk.p50)} | ${f(r.wrk.p99)} | ${pct((r.wrk.rps / bare.wrk.rps) * 100)} | ` +
        `${f(r.cpuUsPerReq, 1)} | ${f(perCpuSecond(r), 0)} | ${f(r.platformUsPerReq, 1)} | ${failed} | ${others(r, r.othersPct.wrk)} |`,
    );
  }
  console.log(
    `\nlatency (ms): streamed TTFB over ${setup.ttfbRequests} sequential calls; open loop at ${setup.rate} req/s for ${setup.duration} s`,
  );
  console.log(
    '| subject | TTFB p50 | TTFB p99 | @rate p50 | @rate p99 | added p99 | CPU µs/req @rate | core 0 others (TTFB / @rate) | core 1 others (TTFB / @rate) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const added = r.id === 'direct' ? '-' : signed(minus(r.openLoop.p99, direct.openLoop.p99));
    console.log(
      `| ${r.name} | ${f(r.ttfb.p50)} | ${f(r.ttfb.p99)} | ${f(r.openLoop.p50)} | ${f(r.openLoop.p99)} | ${added} | ` +
        `${f(r.cpuUsPerReqAtRate, 1)} | ${others(r, r.othersPct.ttfb)} / ${others(r, r.othersPct.openLoop)} | ` +
        `${pct(r.loadCoreOthersPct.ttfb)} / ${pct(r.loadCoreOthersPct.openLoop)} |`,
    );
  }
  console.log(
    '\nfailed: non-2xx and errors over all measurements; CPU: utime + stime of the proxy process per request; ' +
      'CP + Postgres: the control plane and its database meanwhile, on any core (they store the usage records Hubpo reports; not counted as noise); ' +
      'core N others: share of the core used by other processes meanwhile (noise; on core 1 all but the upstream and the latency client); ' +
      `load average (1 min) ${setup.loadAverage.start.toFixed(2)} at start, ${setup.loadAverage.end.toFixed(2)} at end`,
  );
  const noisy = isNoisy(rows);
  if (noisy)
    console.log(
      `WARNING: other processes used more than ${NOISE_LIMIT_PCT}% of a core during a measurement: the figures are not conclusive.`,
    );
  console.log('\nissue-3 targets:');
  const suffix = noisy ? ' (noisy machine: not conclusive)' : '';
  for (const c of checks) console.log(`  ${c.pass ? 'PASS' : 'MISS'}  ${c.target}: ${c.measured}${suffix}`);
}
