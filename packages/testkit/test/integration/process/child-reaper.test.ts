import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join, resolve } from 'node:path';

interface Held {
  readonly natsPort: number;
  readonly storeDir: string;
  readonly pgPort: number;
  readonly dataDir: string;
}

const repoRoot = resolve(__dirname, '../../../../..');
const fixture = join(__dirname, 'fixtures', 'hold-servers.ts');

/** Starts the fixture in a separate Node process and resolves with what it started. */
function holdServers(mode: 'exit' | 'throw' | 'hang'): { child: ChildProcess; held: Promise<Held> } {
  const child = spawn(process.execPath, ['--conditions=hubpo-source', '--import', 'tsx', fixture, mode], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const held = new Promise<Held>((resolvePromise, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line !== undefined) resolvePromise(JSON.parse(line) as Held);
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) =>
      reject(new Error(`fixture exited (${code}) before starting servers:\n${output}`)),
    );
  });
  return { child, held };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

async function isGone(held: Held): Promise<boolean> {
  const ports = await Promise.all([accepts(held.natsPort), accepts(held.pgPort)]);
  return !ports.includes(true) && !existsSync(held.storeDir) && !existsSync(held.dataDir);
}

async function eventuallyGone(held: Held, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isGone(held)) return true;
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 50));
  }
  return isGone(held);
}

describe('servers started by a test process', () => {
  it.each(['exit', 'throw'] as const)(
    'are killed and cleaned up when the process ends (%s)',
    async (mode) => {
      const { child, held } = holdServers(mode);
      const servers = await held;
      expect(servers.dataDir).toBeTruthy();
      const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));

      await exited;

      expect(await eventuallyGone(servers)).toBe(true);
    },
  );

  it('are killed and cleaned up when the process is SIGKILLed', async () => {
    const { child, held } = holdServers('hang');
    const servers = await held;
    expect(await accepts(servers.natsPort)).toBe(true);
    expect(await accepts(servers.pgPort)).toBe(true);

    child.kill('SIGKILL');

    expect(await eventuallyGone(servers)).toBe(true);
  });
});
