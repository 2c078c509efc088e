import { readFileSync } from 'node:fs';
import { cpuMs } from '../lib/wrk.mjs';

/** What a core did while watched: the subject's CPU time and everyone else's share of the core. */
export interface CoreUsage {
  /** utime + stime of the subject process, in ms (0 without a subject). */
  readonly subjectMs: number;
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
 * Starts watching `core` and the processes in `pids` (the subject: the proxy, or the upstream on
 * the load core). `stop(extraMs)` returns the usage since; `extraMs` is CPU time of a process that
 * already exited and reported its own usage (a load client), counted with the subject.
 */
export function watchCore(core: number, pids: readonly number[]): { stop(extraMs?: number): CoreUsage } {
  const before = coreTicks(core);
  const cpu = () => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const subjectBefore = cpu();
  return {
    stop(extraMs = 0) {
      const after = coreTicks(core);
      const subjectMs = cpu() - subjectBefore + extraMs;
      const total = after.total - before.total;
      const others = after.busy - before.busy - subjectMs / 10;
      return { subjectMs, othersPct: total <= 0 ? 0 : (Math.max(0, others) / total) * 100 };
    },
  };
}
