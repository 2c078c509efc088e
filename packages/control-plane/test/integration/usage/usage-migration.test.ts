import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { usageUnpricedMigration } from '../../../src/usage/usage-migration.js';
import { startHarness, startTestPostgres, stopTestPostgres } from '../harness.js';

jest.setTimeout(60_000);

beforeAll(startTestPostgres);
afterAll(stopTestPostgres);

describe('migration 0004_usage_unpriced', () => {
  it('flags the rows stored before it whose currency was empty (the old unpriced marker)', async () => {
    const h = await startHarness();
    try {
      // The table as 0003 left it, with one priced and one unpriced row; then 0004 runs.
      await h.query('alter table usage_records drop column unpriced');
      const insert = (id: string, currency: string) =>
        h.query(
          `insert into usage_records values ($1, 'eu-west', now(), now(), '', 'r', 'm', 'p', 't',
             1, 0, 0, 0, 1, false, 0, $2, 1, 0, 200, '', false, false, now())`,
          [id, currency],
        );
      await insert('old-priced', 'USD');
      await insert('old-unpriced', '');

      const db = new Kysely<unknown>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: h.databaseUrl, max: 1 }) }),
      });
      try {
        await usageUnpricedMigration.up(db);
      } finally {
        await db.destroy();
      }
      const rows = await h.query<{ request_id: string; unpriced: boolean }>(
        'select request_id, unpriced from usage_records order by request_id',
      );
      expect(rows).toEqual([
        { request_id: 'old-priced', unpriced: false },
        { request_id: 'old-unpriced', unpriced: true },
      ]);
      const summary = await h.api('GET', '/api/v1/usage/summary');
      expect(summary.body.total).toMatchObject({ requests: 2, unpriced: 1 });
    } finally {
      await h.stop();
    }
  });
});
