import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Migrator } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely';
import { HubpoError } from '@hubpo/core';
import type { Db } from './database.js';
import { adminSecretsMigration } from '../admin/admin-secret-migration.js';
import { usageRecordsMigration, usageUnpricedMigration } from '../usage/usage-migration.js';

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

/**
 * The cluster API of operators (ADR 0006): per-cluster tokens, provider credentials sealed at rest,
 * and status change tracking. `status_version` comes from a single-row counter bumped by a trigger
 * whenever a row's status changes: the counter's row lock orders versions like commits (as
 * `config_revision` does), so a reader that saw version N has seen every status change up to N.
 * The trigger also notifies `hubpo_status` with the origin cluster, to wake long polls.
 */
const clusterApi: Migration = {
  async up(db) {
    await sql`
      create table cluster_operators (
        cluster text primary key references clusters (name) on delete cascade,
        token_sha256 text not null,
        registered_at timestamptz not null default now(),
        last_heartbeat timestamptz,
        operator jsonb not null default '{}'::jsonb,
        constraint cluster_operators_token_key unique (token_sha256)
      )`.execute(db);

    await sql`
      create table resource_credentials (
        kind text not null,
        namespace text not null,
        name text not null,
        resource_version bigint not null,
        target_index integer not null,
        sealed text not null,
        digest text not null,
        created_at timestamptz not null default now(),
        constraint resource_credentials_pkey
          primary key (kind, namespace, name, resource_version, target_index),
        constraint resource_credentials_resource_fkey foreign key (kind, namespace, name)
          references resources (kind, namespace, name) on delete cascade
      )`.execute(db);

    await sql`
      create table status_counter (
        id boolean primary key default true check (id),
        version bigint not null
      )`.execute(db);
    await sql`insert into status_counter (id, version) values (true, 0)`.execute(db);
    await sql`alter table resources add column status_version bigint not null default 0`.execute(db);
    await sql`
      create index resources_origin_status_idx on resources (origin_cluster, status_version)
        where origin_cluster is not null`.execute(db);
    await sql`
      create function hubpo_status_changed() returns trigger language plpgsql as $$
      begin
        if new.status is distinct from old.status then
          update status_counter set version = version + 1 returning version into new.status_version;
          if new.origin_cluster is not null then
            perform pg_notify('hubpo_status', new.origin_cluster);
          end if;
        end if;
        return new;
      end
      $$`.execute(db);
    await sql`
      create trigger resources_status_changed before update of status on resources
        for each row execute function hubpo_status_changed()`.execute(db);
  },
};

/**
 * The config epoch (ADR 0008): a random id of this database, created once with the schema and
 * never changed by normal operation. Revisions are numbered within it; a recreated database gets
 * a new one, so gateways can tell that its (lower) revisions are not older config. The id is
 * generated here (not by `gen_random_uuid()`, which Postgres before 13 lacks).
 */
const configEpoch: Migration = {
  async up(db) {
    await sql`alter table config_revision add column epoch text not null default ''`.execute(db);
    await sql`update config_revision set epoch = ${randomUUID()}`.execute(db);
  },
};

export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': initial,
  '0002_cluster_api': clusterApi,
  '0003_usage_records': usageRecordsMigration,
  '0004_usage_unpriced': usageUnpricedMigration,
  '0005_admin_secrets': adminSecretsMigration,
  '0006_config_epoch': configEpoch,
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
