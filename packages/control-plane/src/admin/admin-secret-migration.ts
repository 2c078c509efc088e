import { sql } from 'kysely';
import type { Migration } from 'kysely';

/**
 * `admin_secrets`: write-only secrets of the admin API (`/api/v1/namespaces/{ns}/secrets/{name}`),
 * one row per key, the value sealed under HUBPO_SECRET_KEY (AES-256-GCM, bound to its row by the
 * associated data) with a keyed digest; never returned by any API.
 */
export const adminSecretsMigration: Migration = {
  async up(db) {
    await sql`
      create table admin_secrets (
        namespace text not null,
        name text not null,
        key text not null,
        sealed text not null,
        digest text not null,
        updated_at timestamptz not null default now(),
        constraint admin_secrets_pkey primary key (namespace, name, key)
      )`.execute(db);
  },
};
