// Pins a process, its threads and every descendant process to one core (`taskset -a -p -c`), so
// what the bench runs beside the measured proxy (its own process with the control plane,
// Postgres and its backends) stays off the proxy's core. Processes forked later inherit it.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid of each running process, from /proc. */
function parents() {
  const out = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.set(Number(entry), ppid);
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** `root` and its descendants, except the subtrees rooted at `skip` pids. */
export function processTree(root, skip = []) {
  const byParent = new Map();
  for (const [pid, ppid] of parents()) {
    const list = byParent.get(ppid) ?? [];
    list.push(pid);
    byParent.set(ppid, list);
  }
  const found = [];
  const visit = (pid) => {
    if (skip.includes(pid)) return;
    found.push(pid);
    for (const child of byParent.get(pid) ?? []) visit(child);
  };
  visit(root);
  return found;
}

/** Pins `root`'s tree (minus `skip`) to `core`; returns how many processes were pinned. */
export function pinTree(root, core, skip = []) {
  let pinned = 0;
  for (const pid of processTree(root, skip)) {
    const r = spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
    if (r.status === 0) pinned++;
  }
  return pinned;
}
