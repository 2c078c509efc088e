import { readdirSync, readFileSync } from 'node:fs';
import { cpuMs } from '../lib/wrk.mjs';

/** What a core did while watched: the subject's CPU time and everyone else's share of the core. */
export interface CoreUsage {
  /** utime + stime of the subject process, in ms (0 without a subject). */
  readonly subjectMs: number;
  /** CPU of the platform processes (control plane, Postgres) meanwhile, in ms, on any core. */
  readonly platformMs: number;
  /**
   * % of the core's time other processes ran (busy outside the subject, interrupts left out).
   * Above a few % the figures measured meanwhile are noisy.
   */
  readonly othersPct: number;
}

/** Busy and total clock ticks (1/100 s) of one CPU since boot, from `/proc/stat`. */
function coreTicks(core: number): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  if (line === undefined) throw new Error(`/proc/stat has no cpu${core}`);
  // user nice system idle iowait irq softirq steal. Interrupt time is left out of `busy`: it is
  // mostly the loopback traffic of the measurement itself, charged to no process.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user! + nice! + system! + steal!;
  return { busy, total: busy + idle! + iowait! + irq! + softirq! };
}

/**
 * The platform processes of this bench: this process (it hosts the control plane) and its
 * Postgres (descendants named `postgres`). They ingest the gateway's usage records, work that in
 * production runs on other machines, so their CPU is reported apart and not counted as noise.
 */
export function platformPids(): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      parents.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
      names.set(Number(entry), stat.slice(open + 1, close));
    } catch {
      // the process exited meanwhile
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p))
      if (p === process.pid) return true;
    return false;
  };
  return [
    process.pid,
    ...[...names].filter(([pid, name]) => name === 'postgres' && descends(pid)).map(([pid]) => pid),
  ];
}

const cpuOf = (pids: readonly number[]): number =>
  pids.reduce((sum, pid) => {
    try {
      return sum + cpuMs(pid);
    } catch {
      return sum; // exited meanwhile
    }
  }, 0);

/**
 * Starts watching `core`, the processes in `pids` (the subject: the proxy, or the upstream on the
 * load core) and the platform processes. `stop(extraMs)` returns the usage since; `extraMs` is
 * CPU time of a process that already exited and reported its own usage (a load client), counted
 * with the subject. Platform CPU may have run on either core; it is taken out of the others'
 * share of this core in full (so that share is a lower bound while the platform is busy).
 */
export function watchCore(core: number, pids: readonly number[]): { stop(extraMs?: number): CoreUsage } {
  const platform = platformPids();
  const before = coreTicks(core);
  const subjectBefore = cpuOf(pids);
  const platformBefore = cpuOf(platform);
  return {
    stop(extraMs = 0) {
      const after = coreTicks(core);
      const subjectMs = cpuOf(pids) - subjectBefore + extraMs;
      const platformMs = cpuOf(platform) - platformBefore;
      const total = after.total - before.total;
      const others = after.busy - before.busy - (subjectMs + platformMs) / 10;
      return { subjectMs, platformMs, othersPct: total <= 0 ? 0 : (Math.max(0, others) / total) * 100 };
    },
  };
}
