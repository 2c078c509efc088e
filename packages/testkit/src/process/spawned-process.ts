import { spawn, type ChildProcess } from 'node:child_process';
import { HubpoError } from '@hubpo/core';
import { trackChild, type ChildRegistration } from './child-reaper.js';
import { OutputTail } from './output-tail.js';

export interface SpawnProcessOptions {
  /** Used in error messages (`postgres`, `nats-server`). */
  readonly name: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly uid?: number;
  readonly gid?: number;
  /** See `TrackChildOptions.crashSignal`; defaults to SIGKILL. */
  readonly crashSignal?: NodeJS.Signals;
  /** Temp paths removed if the test process dies while this child runs. */
  readonly cleanupPaths?: readonly string[];
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StopOptions {
  /** Graceful signal sent to the group leader. */
  readonly signal?: NodeJS.Signals;
  /** How long to wait before the whole group gets SIGKILL. */
  readonly timeoutMs?: number;
}

/**
 * A child process in its own process group whose output goes to a ring buffer, registered with the
 * reaper so that it dies with the test process. Set HUBPO_TESTKIT_VERBOSE=1 to also copy its
 * output to stderr.
 */
export class SpawnedProcess {
  readonly name: string;
  readonly pid: number;
  readonly output = new OutputTail();
  readonly #child: ChildProcess;
  readonly #exited: Promise<ProcessExit>;
  readonly #closed: Promise<void>;
  readonly #registration: ChildRegistration;
  #exit: ProcessExit | undefined;

  private constructor(name: string, child: ChildProcess, pid: number, options: SpawnProcessOptions) {
    this.name = name;
    this.#child = child;
    this.pid = pid;
    const verbose = process.env['HUBPO_TESTKIT_VERBOSE'] === '1';
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      stream.on('data', (chunk: Buffer) => {
        this.output.write(chunk);
        if (verbose) process.stderr.write(`[${name} ${pid}] ${chunk.toString('utf8')}`);
      });
      stream.on('end', () => this.output.flush());
      (stream as unknown as { unref?: () => void }).unref?.();
    }
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    this.#closed = new Promise((resolve) => child.once('close', () => resolve()));
    this.#registration = trackChild(child, {
      crashSignal: options.crashSignal ?? 'SIGKILL',
      paths: options.cleanupPaths ?? [],
    });
    child.unref();
  }

  /** Spawns `command` and resolves once the OS started it (rejects on ENOENT, EACCES, ...). */
  static spawn(
    command: string,
    args: readonly string[],
    options: SpawnProcessOptions,
  ): Promise<SpawnedProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(options.env === undefined ? {} : { env: options.env }),
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        ...(options.uid === undefined ? {} : { uid: options.uid }),
        ...(options.gid === undefined ? {} : { gid: options.gid }),
      });
      child.once('error', (error) => {
        reject(
          new HubpoError('UNAVAILABLE', `cannot start ${options.name} (${command}): ${error.message}`, {
            cause: error,
          }),
        );
      });
      child.once('spawn', () => {
        if (child.pid === undefined) return;
        resolve(new SpawnedProcess(options.name, child, child.pid, options));
      });
    });
  }

  /** Undefined while the process runs. */
  get exit(): ProcessExit | undefined {
    return this.#exit;
  }

  /** Resolves when the process has exited and its output pipes are closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Resolves when the process has exited. */
  get exited(): Promise<ProcessExit> {
    return this.#exited;
  }

  /**
   * Resolves when a line of output matches `pattern` (lines already in the tail count). Rejects
   * with the output tail when the process exits first or `timeoutMs` passes.
   */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
    if (this.output.lines().some((line) => pattern.test(line))) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: Error): void => {
        clearTimeout(timer);
        unsubscribe();
        if (error === undefined) resolve();
        else reject(error);
      };
      const unsubscribe = this.output.onLine((line) => {
        if (pattern.test(line)) done();
      });
      const timer = setTimeout(
        () => done(this.startupError(`did not become ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      void this.#exited
        .then(async (exit) => {
          // 'exit' can come before the last output was read; 'close' follows the pipes' end.
          await Promise.race([this.#closed, delay(200)]);
          return exit;
        })
        .then((exit) => done(this.startupError(`exited before it was ready (${describeExit(exit)})`)));
    });
  }

  /** A HubpoError naming the process and ending with the tail of its output. */
  startupError(reason: string, cause?: unknown): HubpoError {
    const tail = this.output.text(40);
    const message = `${this.name} (pid ${this.pid}) ${reason}\n--- last output of ${this.name} ---\n${tail || '(no output)'}`;
    return new HubpoError('UNAVAILABLE', message, cause === undefined ? {} : { cause });
  }

  /** Sends `signal` to the group leader only. */
  signal(signal: NodeJS.Signals): void {
    if (this.#exit !== undefined) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /**
   * Stops the process: `signal` to the leader, SIGKILL to the whole group after `timeoutMs`.
   * Idempotent. The reaper keeps the child's temp paths registered until `release()`.
   */
  async stop(options: StopOptions = {}): Promise<ProcessExit> {
    this.signal(options.signal ?? 'SIGTERM');
    const timeoutMs = options.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([this.#exited, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return first;
    this.#killGroup();
    return this.#exited;
  }

  /** SIGKILL to the whole group, as a crash would. Idempotent. */
  kill(): Promise<ProcessExit> {
    if (this.#exit === undefined) this.#killGroup();
    return this.#exited;
  }

  /** Forgets the child and its temp paths (call once the owner removed them). */
  release(): void {
    this.#registration.release();
  }

  #killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // group already gone
    }
    if (this.#exit === undefined) this.#child.kill('SIGKILL');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function describeExit(exit: ProcessExit): string {
  return exit.signal === null ? `exit code ${exit.code ?? 'unknown'}` : `signal ${exit.signal}`;
}
