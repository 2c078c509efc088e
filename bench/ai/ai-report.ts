// Scenario (d)'s figures: the table, the issue-3 targets with PASS/MISS, and the JSON record.
import type { OpenLoopResult, TtfbResult, WrkResult } from './load-clients.js';

export type SubjectId = 'direct' | 'nginx' | 'bare' | 'portkey' | 'hubpo';

export interface SubjectFigures {
  readonly id: SubjectId;
  readonly name: string;
  readonly wrk: WrkResult;
  /** utime + stime of the proxy process over the wrk run / requests; null for the direct call. */
  readonly cpuUsPerReq: number | null;
  /** % of the proxy core's time used by anything but the subject during the wrk run (noise). */
  readonly proxyCoreOtherPct: number;
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

/** Above this share of the proxy core used by others during a proxy's run, the run is noisy. */
export const NOISE_LIMIT_PCT = 5;

/** Whether another program took a noticeable share of the proxy core while a proxy was measured. */
export function isNoisy(rows: readonly SubjectFigures[]): boolean {
  return rows.some((r) => r.id !== 'direct' && r.proxyCoreOtherPct > NOISE_LIMIT_PCT);
}

const signed = (v: number | null): string => (v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(3)}`);

const minus = (a: number | null, b: number | null): number | null =>
  a === null || b === null ? null : a - b;

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
      measured: `${vsPortkey.toFixed(2)}x (${hubpo.wrk.rps.toFixed(0)} vs ${portkey.wrk.rps.toFixed(0)})`,
      pass: clean && vsPortkey >= 10,
    },
    {
      target: "Hubpo req/s >= 70% of the bare Node pass-through's",
      measured: `${(vsBare * 100).toFixed(1)}% (${hubpo.wrk.rps.toFixed(0)} vs ${bare.wrk.rps.toFixed(0)})`,
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

/** Prints the comparison table and the targets to stdout. */
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
  console.log(
    `\n(d) AI gateway, OpenAI chat completions, proxies on one core; wrk ${setup.connections} connections ${setup.duration}s; ` +
      `TTFB over ${setup.ttfbRequests} sequential streamed calls; open loop ${setup.rate} req/s for ${setup.duration}s`,
  );
  console.log(
    '| subject | req/s | p50 ms | p99 ms | CPU µs/req | core busy (others) | failed | vs bare | TTFB p50 | TTFB p99 | @rate p50 | @rate p99 | added p99 |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const failures = r.wrk.non2xx + r.openLoop.non2xx + r.openLoop.errors + r.ttfb.errors;
    console.log(
      `| ${r.name} | ${r.wrk.rps.toFixed(0)} | ${f(r.wrk.p50)} | ${f(r.wrk.p99)} | ${f(r.cpuUsPerReq, 1)} | ` +
        `${r.id === 'direct' ? '-' : `${r.proxyCoreOtherPct.toFixed(1)}%`} | ${failures} | ` +
        `${((r.wrk.rps / bare.wrk.rps) * 100).toFixed(1)}% | ${f(r.ttfb.p50)} | ${f(r.ttfb.p99)} | ` +
        `${f(r.openLoop.p50)} | ${f(r.openLoop.p99)} | ${r.id === 'direct' ? '-' : f(minus(r.openLoop.p99, direct.openLoop.p99))} |`,
    );
  }
  console.log(
    "failed: non-2xx and errors over all three measurements; TTFB and @rate in ms; added p99: p99 at the fixed rate minus the direct call's;",
  );
  console.log(
    `core busy (others): share of the proxy core used by other processes during the wrk run; load average (1 min) ${setup.loadAverage.start.toFixed(2)} at start, ${setup.loadAverage.end.toFixed(2)} at end`,
  );
  const noisy = isNoisy(rows);
  if (noisy)
    console.log(
      `WARNING: other processes used more than ${NOISE_LIMIT_PCT}% of the proxy core during a run: the figures are not conclusive.`,
    );
  console.log('\nissue-3 targets:');
  const suffix = noisy ? ' (noisy machine: not conclusive)' : '';
  for (const c of checks) console.log(`  ${c.pass ? 'PASS' : 'MISS'}  ${c.target}: ${c.measured}${suffix}`);
}
