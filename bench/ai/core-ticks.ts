import { readFileSync } from 'node:fs';

/** Busy and total clock ticks of one CPU since boot (`/proc/stat`, the `cpuN` line). */
export interface CoreTicks {
  readonly busy: number;
  readonly total: number;
}

export function readCoreTicks(core: number): CoreTicks {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  if (line === undefined) throw new Error(`/proc/stat has no cpu${core}`);
  // user nice system idle iowait irq softirq steal
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy, total: busy + idle! + iowait! };
}

/**
 * Share (%) of the core's time spent outside `subjectTicks` between two readings: other programs
 * on the core (and interrupt work not charged to the subject). High values mean a noisy machine.
 */
export function otherShare(before: CoreTicks, after: CoreTicks, subjectTicks: number): number {
  const total = after.total - before.total;
  return total <= 0 ? 0 : (Math.max(0, after.busy - before.busy - subjectTicks) / total) * 100;
}
