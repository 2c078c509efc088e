import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

/**
 * Makes sure no server spawned by a test outlives the test process.
 *
 * Two mechanisms, because neither covers every way a test process ends:
 * - one `exit` handler on the real Node process (registered once per process, shared by every
 *   copy of this module) signals every live child's process group and removes its temp paths
 *   synchronously. It covers normal exits, `process.exit()` and uncaught exceptions.
 * - a tiny `sh` watchdog per child holds the read end of a pipe from the test process. When the
 *   test process dies in any way, including SIGTERM from jest-worker, Ctrl+C or SIGKILL, the pipe
 *   reaches EOF and the watchdog kills the child's group and removes its paths.
 *
 * Children are spawned detached (their own process group, pgid = pid), so killing `-pid` also
 * kills what they forked (Postgres backends).
 */
export interface ChildRegistration {
  /** Forgets the child: call after it was stopped and its paths were removed by the owner. */
  release(): void;
}

export interface TrackChildOptions {
  /**
   * Sent to the group leader first when the test process dies; the group gets SIGKILL shortly
   * after. Postgres wants SIGQUIT (immediate shutdown) so it frees its shared memory.
   */
  readonly crashSignal: NodeJS.Signals;
  /** Temp paths to remove when the test process dies while the child is registered. */
  readonly paths: readonly string[];
}

interface Entry {
  readonly pid: number;
  readonly crashSignal: NodeJS.Signals;
  readonly paths: readonly string[];
  alive: boolean;
  watchdog: ChildProcess | undefined;
}

const REGISTRY_KEY = Symbol.for('hubpo.testkit.child-reaper.v1');
const CRASH_GRACE_MS = 1000;

// $1 = pid, $2 = signal name without SIG, $3... = paths. `read` returns at EOF, i.e. when the
// test process is gone (it never writes to the pipe).
const WATCHDOG_SCRIPT = [
  'read -r _ || true',
  'kill -s "$2" "$1" 2>/dev/null',
  'i=0; while [ $i -lt 20 ] && kill -0 "$1" 2>/dev/null; do sleep 0.05; i=$((i+1)); done',
  'kill -s KILL -- "-$1" 2>/dev/null',
  'shift 2; [ $# -gt 0 ] && rm -rf -- "$@"',
  'exit 0',
].join('\n');

/**
 * Registers a spawned, detached child. The registration is marked dead when the child exits (so a
 * recycled pid is never signalled), but its paths stay registered until `release()`.
 */
export function trackChild(child: ChildProcess, options: TrackChildOptions): ChildRegistration {
  const pid = child.pid;
  if (pid === undefined) return { release: () => undefined };
  const entries = registry();
  const entry: Entry = {
    pid,
    crashSignal: options.crashSignal,
    paths: [...options.paths],
    alive: child.exitCode === null && child.signalCode === null,
    watchdog: undefined,
  };
  entry.watchdog = entry.alive ? startWatchdog(entry) : undefined;
  entries.add(entry);
  child.once('exit', () => {
    entry.alive = false;
    stopWatchdog(entry);
  });
  return {
    release: () => {
      entries.delete(entry);
      stopWatchdog(entry);
    },
  };
}

function startWatchdog(entry: Entry): ChildProcess | undefined {
  try {
    const signal = entry.crashSignal.replace(/^SIG/, '');
    const watchdog = spawn(
      '/bin/sh',
      ['-c', WATCHDOG_SCRIPT, 'hubpo-testkit-reaper', String(entry.pid), signal, ...entry.paths],
      {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    watchdog.on('error', () => undefined);
    watchdog.stdin?.on('error', () => undefined);
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return watchdog;
  } catch {
    return undefined;
  }
}

function stopWatchdog(entry: Entry): void {
  const watchdog = entry.watchdog;
  entry.watchdog = undefined;
  if (watchdog?.pid !== undefined && watchdog.exitCode === null) {
    try {
      watchdog.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * The real Node process. Jest runs each test file in a VM context whose `process` is a copy:
 * `exit` listeners added to the copy never fire. A function built by the Function constructor of a
 * core-module export belongs to the main context, so it sees the real `process`.
 */
function realProcess(): NodeJS.Process {
  const MainContextFunction = readFileSync.constructor as FunctionConstructor;
  return MainContextFunction('return process')() as NodeJS.Process;
}

function registry(): Set<Entry> {
  const proc = realProcess();
  const holder = proc as unknown as Record<symbol, Set<Entry> | undefined>;
  const existing = holder[REGISTRY_KEY];
  if (existing !== undefined) return existing;
  const entries = new Set<Entry>();
  holder[REGISTRY_KEY] = entries;
  proc.on('exit', () => reapAll(proc, entries));
  return entries;
}

/** Runs inside the `exit` event: everything here is synchronous. */
function reapAll(proc: NodeJS.Process, entries: Set<Entry>): void {
  const all = [...entries];
  entries.clear();
  const live = all.filter((entry) => entry.alive);
  for (const entry of all) stopWatchdog(entry);
  for (const entry of live) sendSignal(proc, entry.pid, entry.crashSignal);
  const deadline = Date.now() + CRASH_GRACE_MS;
  const gentle = live.filter((entry) => entry.crashSignal !== 'SIGKILL');
  while (Date.now() < deadline && gentle.some((entry) => isRunning(proc, entry.pid))) sleepSync(10);
  for (const entry of live) sendSignal(proc, -entry.pid, 'SIGKILL');
  for (const entry of all) {
    for (const path of entry.paths) {
      try {
        rmSync(path, { recursive: true, force: true, maxRetries: 2 });
      } catch {
        // best effort at exit
      }
    }
  }
}

function sendSignal(proc: NodeJS.Process, pid: number, signal: NodeJS.Signals): void {
  try {
    proc.kill(pid, signal);
  } catch {
    // ESRCH: already gone
  }
}

/** True while `pid` runs; a zombie (exited, not yet reaped by us) counts as gone. */
function isRunning(proc: NodeJS.Process, pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    if (proc.platform === 'linux') return false;
  }
  try {
    proc.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
