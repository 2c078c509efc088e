import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildProgramOptions {
  readonly name: string;
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  /** Prefix colour (ANSI code) for log lines. */
  readonly colour: number;
}

/**
 * A program of the platform run as a child process, its output prefixed with its name. Stopping
 * sends SIGTERM and escalates to SIGKILL if it has not exited in time; if the launcher exits
 * first, the child is killed.
 */
export class ChildProgram {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;

  constructor(options: ChildProgramOptions) {
    this.name = options.name;
    this.#child = spawn(process.execPath, ['--enable-source-maps', options.script], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C reaches only the launcher, which stops the
      // programs one by one in order (a group-wide SIGINT would make each exit without draining).
      detached: true,
    });
    const child = this.#child;
    process.once('exit', () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const prefix = `\u001b[${options.colour}m${options.name.padEnd(13)}\u001b[0m| `;
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
    }
    this.#exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
  }

  get exited(): Promise<number | null> {
    return this.#exited;
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
