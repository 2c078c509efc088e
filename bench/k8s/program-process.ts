import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface ProgramProcess {
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Runs a Hubpo program (`operator`, `gateway`) as a child process configured by its environment,
 * as in production. It runs from source (`--conditions=hubpo-source --import tsx`, like
 * `pnpm bench` itself) so the figures never come from a stale build; the loader only costs at
 * start. Output goes to this process's stderr, so failures show.
 */
export function startProgram(
  root: string,
  program: 'operator' | 'gateway',
  env: Readonly<Record<string, string>>,
): ProgramProcess {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=hubpo-source', '--import', 'tsx', join(root, 'packages', program, 'src', 'main.ts')],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once `url` answers `ok`; rejects after `timeoutMs`. */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  ok = (s: number) => s === 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (ok(res.status)) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready: ${last}`);
}
