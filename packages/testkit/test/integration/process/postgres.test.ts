import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import pg from 'pg';
import { HubpoError } from '@hubpo/core';
import { TEST_DATABASE_URL_ENV, startPostgres, type PostgresProcess } from '@hubpo/testkit';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('startPostgres', () => {
  let server: PostgresProcess;

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('serves Postgres 17 on a loopback port given in its URL', async () => {
    expect(server.url).toBe(`postgres://postgres:postgres@127.0.0.1:${server.port}/postgres`);
    const [row] = await query<{ version: string; db: string }>(
      server.url,
      'select current_setting($$server_version_num$$) as version, current_database() as db',
    );
    expect(Number(row?.version)).toBeGreaterThanOrEqual(170000);
    expect(row?.db).toBe('postgres');
  });

  it('creates isolated, empty databases', async () => {
    const first = await server.createDatabase();
    const second = await server.createDatabase();
    expect(first).not.toBe(second);
    await query(first, 'create table things (id int primary key); insert into things values (1)');

    expect(await query(first, 'select id from things')).toEqual([{ id: 1 }]);
    const tablesInSecond = await query(
      second,
      `select table_name from information_schema.tables where table_schema = 'public'`,
    );
    expect(tablesInSecond).toEqual([]);
  });

  it('creates a database with the name asked for', async () => {
    const url = await server.createDatabase('named_db');
    expect(new URL(url).pathname).toBe('/named_db');
    expect(await query(url, 'select current_database() as db')).toEqual([{ db: 'named_db' }]);
  });

  it('rejects database names that are not plain identifiers', async () => {
    await expect(server.createDatabase('x"; drop database postgres; --')).rejects.toMatchObject({
      code: 'HUBPO_ERR_BAD_REQUEST',
    });
  });

  it('runs servers side by side', async () => {
    const other = await startPostgres();
    try {
      expect(other.port).not.toBe(server.port);
      await query(other.url, 'create table only_here (id int)');
      const found = await query(
        server.url,
        `select 1 from information_schema.tables where table_name = 'only_here'`,
      );
      expect(found).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('uses the server named by HUBPO_TEST_DATABASE_URL instead of starting one', async () => {
    const previous = process.env[TEST_DATABASE_URL_ENV];
    process.env[TEST_DATABASE_URL_ENV] = server.url;
    try {
      const external = await startPostgres();
      expect(external.url).toBe(server.url);
      expect(external.port).toBe(server.port);
      const url = await external.createDatabase();
      const name = new URL(url).pathname.slice(1);
      const listed = async (): Promise<unknown[]> =>
        query(server.url, `select datname from pg_database where datname = '${name}'`);
      expect(await listed()).toHaveLength(1);

      await external.stop();
      expect(await listed()).toHaveLength(0);
      expect(await query(server.url, 'select 1 as ok')).toEqual([{ ok: 1 }]);
    } finally {
      if (previous === undefined) delete process.env[TEST_DATABASE_URL_ENV];
      else process.env[TEST_DATABASE_URL_ENV] = previous;
    }
  });
});

describe('stopping Postgres', () => {
  it('shuts the server down and removes its data directory', async () => {
    const server = await startPostgres();
    const [row] = await query<{ dir: string }>(
      server.url,
      'select current_setting($$data_directory$$) as dir',
    );
    const dataDir = row?.dir ?? '';
    expect(existsSync(dataDir)).toBe(true);

    await server.stop();
    await server.stop();

    expect(existsSync(dataDir)).toBe(false);
    await expect(query(server.url, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
    await expect(server.createDatabase()).rejects.toThrow(HubpoError);
  });
});

describe('Postgres startup errors', () => {
  let blocker: Server;

  afterEach(async () => {
    await new Promise((resolve) => blocker.close(resolve));
  });

  it('include the tail of the server output', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;

    const error: unknown = await startPostgres({ port }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(HubpoError);
    expect((error as HubpoError).code).toBe('HUBPO_ERR_UNAVAILABLE');
    expect((error as Error).message).toMatch(/last output of postgres/);
    expect((error as Error).message).toMatch(/could not bind IPv4 address "127\.0\.0\.1"/);
  });
});
