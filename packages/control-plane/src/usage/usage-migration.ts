import { sql } from 'kysely';
import type { Migration } from 'kysely';

/**
 * `usage_records`: one row per AI request, keyed by the gateway's request id so a redelivered or
 * re-published record is ignored (`insert ... on conflict do nothing`). Lists read newest first by
 * `(started_at, request_id)` (keyset pages), optionally narrowed by consumer, model or target.
 */
export const usageRecordsMigration: Migration = {
  async up(db) {
    await sql`
      create table usage_records (
        request_id text primary key,
        cluster text not null,
        started_at timestamptz not null,
        finished_at timestamptz not null,
        consumer text not null,
        route text not null,
        model text not null,
        provider text not null,
        target text not null,
        input_tokens bigint not null,
        cached_input_tokens bigint not null,
        cache_write_tokens bigint not null,
        reasoning_tokens bigint not null,
        output_tokens bigint not null,
        estimated boolean not null,
        cost_micros bigint not null,
        currency text not null,
        latency_ms bigint not null,
        time_to_first_token_ms bigint not null,
        status_code integer not null,
        error_code text not null,
        stream boolean not null,
        aborted boolean not null,
        received_at timestamptz not null default now()
      )`.execute(db);
    await sql`create index usage_records_started_idx on usage_records (started_at, request_id)`.execute(db);
    for (const column of ['consumer', 'model', 'target']) {
      await sql`
        create index ${sql.raw(`usage_records_${column}_idx`)}
          on usage_records (${sql.ref(column)}, started_at, request_id)`.execute(db);
    }
  },
};

/**
 * `usage_records.unpriced` (migration `0004_usage_unpriced`): the record's explicit flag for a
 * call whose target had no price. Rows stored before it marked that with `currency = ''` only, so
 * they are backfilled from it.
 */
export const usageUnpricedMigration: Migration = {
  async up(db) {
    await sql`alter table usage_records add column unpriced boolean not null default false`.execute(db);
    await sql`update usage_records set unpriced = true where currency = ''`.execute(db);
  },
};
