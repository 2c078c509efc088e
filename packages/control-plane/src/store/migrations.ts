import { sql } from 'kysely';
import { Migrator } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely';
import { HubpoError } from '@hubpo/core';
import type { Db } from './database.js';

/*
 * Schema migrations, applied in order at start. kysely's Migrator runs them in one transaction on
 * Postgres and holds a Postgres advisory lock meanwhile, so two replicas starting together apply
 * each migration exactly once. Migrations are append-only: never edit one that has shipped.
 */

const initial: Migration = {
  async up(db) {
    // A single-row counter rather than a SEQUENCE: nextval() is not rolled back with a failed
    // write and does not order revisions by commit time (ADR 0004).
    await sql`
      create table config_revision (
        id boolean primary key default true check (id),
        revision bigint not null
      )`.execute(db);
    await sql`insert into config_revision (id, revision) values (true, 0)`.execute(db);

    await sql`
      create table resources (
        kind text not null,
        namespace text not null,
        name text not null,
        uid uuid not null,
        generation bigint not null,
        resource_version bigint not null,
        labels jsonb not null default '{}'::jsonb,
        annotations jsonb not null default '{}'::jsonb,
        spec jsonb not null,
        status jsonb not null default '{}'::jsonb,
        origin_cluster text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint resources_pkey primary key (kind, namespace, name),
        constraint resources_uid_key unique (uid)
      )`.execute(db);
    // List across namespaces orders by (namespace, name) within a kind: the primary key serves it.
    await sql`create index resources_labels_idx on resources using gin (labels jsonb_path_ops)`.execute(db);

    await sql`
      create table clusters (
        name text primary key,
        labels jsonb not null default '{}'::jsonb,
        state text not null default 'active',
        last_seen timestamptz,
        created_at timestamptz not null default now()
      )`.execute(db);

    await sql`
      create table gateways (
        node_id text primary key,
        cluster text not null,
        transport text not null,
        node jsonb not null default '{}'::jsonb,
        applied_revision bigint not null default 0,
        applied_hash text not null default '',
        last_ack_at timestamptz,
        last_nack_at timestamptz,
        last_nack_error text,
        last_nack_revision bigint,
        last_seen timestamptz not null default now(),
        connected boolean not null default false
      )`.execute(db);
    await sql`create index gateways_cluster_idx on gateways (cluster)`.execute(db);

    await sql`
      create table snapshots (
        id bigserial primary key,
        cluster text not null,
        revision bigint not null,
        hash text not null,
        published_at timestamptz not null default now(),
        objects jsonb not null
      )`.execute(db);
    await sql`create index snapshots_cluster_idx on snapshots (cluster, id desc)`.execute(db);
  },
};

export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': initial,
});

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};

/** Applies every pending migration; idempotent and safe to run from several replicas at once. */
export async function migrate(db: Db): Promise<readonly string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'hubpo_migration',
    migrationLockTableName: 'hubpo_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    throw new HubpoError('UNAVAILABLE', 'database migration failed', { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
