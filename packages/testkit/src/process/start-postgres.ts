import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { HubpoError } from '@hubpo/core';
import { getFreePort } from './get-free-port.js';
import {
  POSTGRES_PASSWORD,
  POSTGRES_USER,
  claimDataDir,
  preparePostgres,
  type PostgresInstall,
} from './postgres-install.js';
import { SpawnedProcess } from './spawned-process.js';

export interface PostgresOptions {
  /** Port on 127.0.0.1; a free one when omitted. Ignored with HUBPO_TEST_DATABASE_URL. */
  readonly port?: number;
}

export interface PostgresProcess {
  /** `postgres://user:pass@127.0.0.1:port/postgres` (the server's maintenance database). */
  readonly url: string;
  readonly port: number;
  /** Creates an empty database (a random `test_...` name by default) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server and removes its data directory (external server: drops the databases). */
  stop(): Promise<void>;
}

/** Env var naming an existing server to use instead of starting one. */
export const TEST_DATABASE_URL_ENV = 'HUBPO_TEST_DATABASE_URL';

const READY_LINE = /database system is ready to accept connections/;
const ADDRESS_IN_USE = /could not bind|Address already in use/i;
const START_ATTEMPTS = 5;
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

// Durability is pointless for throwaway test data; these make writes and commits much cheaper.
const SERVER_SETTINGS = [
  'listen_addresses=127.0.0.1',
  'unix_socket_directories=',
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'max_connections=200',
  // Keeps dynamic shared memory inside the data directory, so a crash leaves nothing in /dev/shm.
  'dynamic_shared_memory_type=mmap',
  'lc_messages=C',
];

/**
 * Starts a throwaway Postgres 17 on loopback, from a copy of a cached template cluster, or (when
 * HUBPO_TEST_DATABASE_URL is set) uses that server and only creates databases on it.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresProcess> {
  const external = process.env[TEST_DATABASE_URL_ENV];
  if (external !== undefined && external !== '') return new ExternalPostgres(external);
  const install = await preparePostgres();
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await getFreePort());
    try {
      return await launch(install, port);
    } catch (error) {
      const retry =
        options.port === undefined && attempt < START_ATTEMPTS && ADDRESS_IN_USE.test(String(error));
      if (!retry) throw error;
    }
  }
}

async function launch(install: PostgresInstall, port: number): Promise<LocalPostgres> {
  const dataDir = join(tmpdir(), `hubpo-pg-${process.pid}-${randomBytes(6).toString('hex')}`);
  await claimDataDir(install, dataDir);
  let server: SpawnedProcess;
  try {
    server = await SpawnedProcess.spawn(
      join(install.binDir, 'postgres'),
      ['-D', dataDir, '-p', String(port), ...SERVER_SETTINGS.flatMap((setting) => ['-c', setting])],
      {
        name: 'postgres',
        env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
        ...(install.runAs === undefined ? {} : { uid: install.runAs.uid, gid: install.runAs.gid }),
        crashSignal: 'SIGQUIT',
        cleanupPaths: [dataDir],
      },
    );
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  try {
    await server.waitForOutput(READY_LINE, 60_000);
  } catch (error) {
    // SIGQUIT (immediate shutdown) rather than SIGKILL, so Postgres still frees its shared memory.
    await server.stop({ signal: 'SIGQUIT', timeoutMs: 5000 });
    await rm(dataDir, { recursive: true, force: true });
    server.release();
    throw error;
  }
  return new LocalPostgres(server, port, dataDir);
}

class LocalPostgres implements PostgresProcess {
  readonly url: string;
  readonly port: number;
  readonly #server: SpawnedProcess;
  readonly #dataDir: string;
  #stopping: Promise<void> | undefined;

  constructor(server: SpawnedProcess, port: number, dataDir: string) {
    this.#server = server;
    this.port = port;
    this.#dataDir = dataDir;
    this.url = `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${port}/postgres`;
  }

  async createDatabase(name?: string): Promise<string> {
    if (this.#stopping !== undefined) throw new HubpoError('UNAVAILABLE', 'postgres was stopped');
    const database = await createDatabaseOn(this.url, name);
    return withDatabase(this.url, database);
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      // SIGINT is Postgres' fast shutdown: open sessions are terminated, shared memory freed.
      await this.#server.stop({ signal: 'SIGINT', timeoutMs: 10_000 });
      await rm(this.#dataDir, { recursive: true, force: true, maxRetries: 3 });
      this.#server.release();
    })();
    return this.#stopping;
  }
}

/** A server we did not start: we only create databases, and drop them on stop. */
class ExternalPostgres implements PostgresProcess {
  readonly url: string;
  readonly port: number;
  readonly #created: string[] = [];

  constructor(url: string) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (error) {
      throw new HubpoError('BAD_REQUEST', `${TEST_DATABASE_URL_ENV} is not a URL`, { cause: error });
    }
    this.url = url;
    this.port = parsed.port === '' ? 5432 : Number(parsed.port);
  }

  async createDatabase(name?: string): Promise<string> {
    const database = await createDatabaseOn(this.url, name);
    this.#created.push(database);
    return withDatabase(this.url, database);
  }

  async stop(): Promise<void> {
    const databases = this.#created.splice(0);
    if (databases.length === 0) return;
    await withClient(this.url, async (client) => {
      for (const database of databases) {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
      }
    });
  }
}

async function createDatabaseOn(serverUrl: string, name: string | undefined): Promise<string> {
  const database = name ?? `test_${randomBytes(8).toString('hex')}`;
  if (!DATABASE_NAME.test(database)) {
    throw new HubpoError(
      'BAD_REQUEST',
      `invalid database name ${JSON.stringify(database)}: use letters, digits and _`,
    );
  }
  await withClient(serverUrl, (client) =>
    client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`),
  );
  return database;
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
