import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Expression, ExpressionBuilder, Selectable, SqlBool, Transaction } from 'kysely';
import type { KindName } from '@hubpo/api';
import { HubpoError, assertNever, stableStringify } from '@hubpo/core';
import type { ContinuePosition } from './continue-token.js';
import type { Database, Db, ResourcesTable } from './database.js';
import type { LabelRequirement } from './label-selector.js';

/** One resource as stored: the user's metadata and spec, the server's fields and the status. */
export interface StoredResource {
  readonly kind: KindName;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** Bumped only when the spec changes. */
  readonly generation: number;
  /** The config revision of the object's last write. */
  readonly resourceVersion: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly status: Readonly<Record<string, unknown>>;
  /** The cluster the object was applied in (placement default); admin API writes use the default cluster. */
  readonly originCluster: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What a write sets; everything else is the server's. */
export interface ResourceInput {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: Readonly<Record<string, unknown>>;
  /**
   * The object's own generation, for objects that have one elsewhere (Kubernetes objects written by
   * an operator); when absent the store counts it (1, then +1 whenever the spec changes).
   */
  readonly generation?: number;
}

/**
 * Runs inside a write's transaction after the row was written, with what the write committed so
 * far; throwing aborts the whole write (nothing is stored, the revision does not move).
 */
export type WithinWrite = (trx: Transaction<Database>, written: WriteResult) => Promise<void>;

export interface WriteResult {
  readonly resource: StoredResource;
  /** The config revision this write committed. */
  readonly revision: number;
}

export interface Preconditions {
  /** From `If-Match`: the write fails with 412 unless the object is at this resourceVersion. */
  readonly ifMatch?: number;
  /** From the body's `metadata.resourceVersion`: the write fails with 409 unless current. */
  readonly resourceVersion?: number;
}

export interface ListQuery {
  readonly kind: KindName;
  /** Undefined lists every namespace. */
  readonly namespace?: string;
  readonly limit: number;
  readonly after?: ContinuePosition;
  readonly selector: readonly LabelRequirement[];
}

export interface ListPage {
  readonly items: readonly StoredResource[];
  /** Key of the last item when more items follow. */
  readonly next?: ContinuePosition;
  /** The config revision when the page was read. */
  readonly revision: number;
}

export interface ResourceKey {
  readonly kind: KindName;
  readonly namespace: string;
  readonly name: string;
}

type Trx = Transaction<Database>;

/**
 * The source of truth for resources. Every write (create, replace, patch, delete) bumps the one
 * config revision in the same transaction, and the object's `resource_version` becomes that
 * revision: a failed write bumps nothing, and revisions are ordered like commits because the
 * counter row lock serializes writers. Status writes never bump the revision.
 */
export class ResourceStore {
  readonly #db: Db;
  readonly #listeners = new Set<(revision: number) => void>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** Calls `listener` after every committed write with the revision it committed. */
  onCommit(listener: (revision: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async currentRevision(): Promise<number> {
    const row = await this.#db.selectFrom('config_revision').select('revision').executeTakeFirstOrThrow();
    return Number(row.revision);
  }

  async get(key: ResourceKey): Promise<StoredResource> {
    const row = await this.#db
      .selectFrom('resources')
      .selectAll()
      .where('kind', '=', key.kind)
      .where('namespace', '=', key.namespace)
      .where('name', '=', key.name)
      .executeTakeFirst();
    if (row === undefined) throw notFound(key);
    return toStored(row);
  }

  async list(query: ListQuery): Promise<ListPage> {
    return this.#db.transaction().execute(async (trx) => {
      // One transaction so the revision and the page are read from the same snapshot of data.
      await sql`set transaction isolation level repeatable read read only`.execute(trx);
      const revision = await readRevision(trx);
      let select = trx.selectFrom('resources').selectAll().where('kind', '=', query.kind);
      if (query.namespace !== undefined) select = select.where('namespace', '=', query.namespace);
      const after = query.after;
      if (after !== undefined) {
        select = select.where(({ eb, refTuple, tuple }) =>
          eb(refTuple('namespace', 'name'), '>', tuple(after.namespace, after.name)),
        );
      }
      for (const requirement of query.selector)
        select = select.where((eb) => labelCondition(eb, requirement));
      const rows = await select
        .orderBy('namespace')
        .orderBy('name')
        .limit(query.limit + 1)
        .execute();
      const items = rows.slice(0, query.limit).map(toStored);
      const last = items[items.length - 1];
      const next =
        rows.length > query.limit && last !== undefined
          ? { namespace: last.namespace, name: last.name }
          : undefined;
      return next === undefined ? { items, revision } : { items, revision, next };
    });
  }

  /** Every resource and the revision they make up, read consistently (the pipeline's input). */
  /**
   * The config epoch of this database (ADR 0008): revisions are numbered within it. Set once by a
   * migration; after a restore from a backup an operator replaces it (see the ADR).
   */
  async currentEpoch(): Promise<string> {
    const row = await this.#db.selectFrom('config_revision').select('epoch').executeTakeFirstOrThrow();
    return row.epoch;
  }

  async loadAll(): Promise<{
    readonly revision: number;
    readonly epoch: string;
    readonly resources: readonly StoredResource[];
  }> {
    return this.#db.transaction().execute(async (trx) => {
      await sql`set transaction isolation level repeatable read read only`.execute(trx);
      const { revision, epoch } = await trx
        .selectFrom('config_revision')
        .select(['revision', 'epoch'])
        .executeTakeFirstOrThrow();
      const rows = await trx
        .selectFrom('resources')
        .selectAll()
        .orderBy('kind')
        .orderBy('namespace')
        .orderBy('name')
        .execute();
      return { revision: Number(revision), epoch, resources: rows.map(toStored) };
    });
  }

  async create(
    kind: KindName,
    namespace: string,
    name: string,
    input: ResourceInput,
    originCluster: string | null,
    within?: WithinWrite,
  ): Promise<WriteResult> {
    return this.#write(within, async (trx, revision) => {
      const row = await trx
        .insertInto('resources')
        .values({
          kind,
          namespace,
          name,
          uid: randomUUID(),
          generation: input.generation ?? 1,
          resource_version: revision,
          labels: JSON.stringify(input.labels),
          annotations: JSON.stringify(input.annotations),
          spec: JSON.stringify(input.spec),
          status: '{}',
          origin_cluster: originCluster,
        })
        .onConflict((oc) => oc.columns(['kind', 'namespace', 'name']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) {
        throw new HubpoError('ALREADY_EXISTS', `${kind} ${namespace}/${name} already exists`);
      }
      return toStored(row);
    });
  }

  /**
   * Replaces labels, annotations and spec. `build` runs under the row lock with the current object
   * (merge patches are computed there) and may throw, which aborts the write.
   */
  async update(
    key: ResourceKey,
    preconditions: Preconditions,
    build: (current: StoredResource) => ResourceInput,
    within?: WithinWrite,
  ): Promise<WriteResult> {
    return this.#write(within, async (trx, revision) => {
      const current = await lockRow(trx, key);
      checkPreconditions(current, preconditions);
      const input = build(current);
      const specChanged = stableStringify(input.spec) !== stableStringify(current.spec);
      const row = await trx
        .updateTable('resources')
        .set({
          labels: JSON.stringify(input.labels),
          annotations: JSON.stringify(input.annotations),
          spec: JSON.stringify(input.spec),
          generation: input.generation ?? (specChanged ? current.generation + 1 : current.generation),
          resource_version: revision,
          updated_at: sql<Date>`now()`,
        })
        .where('kind', '=', key.kind)
        .where('namespace', '=', key.namespace)
        .where('name', '=', key.name)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toStored(row);
    });
  }

  /** Deletes the row (no tombstone); the revision still moves so the deletion is translated. */
  async delete(key: ResourceKey, preconditions: Preconditions, within?: WithinWrite): Promise<WriteResult> {
    return this.#write(within, async (trx) => {
      const current = await lockRow(trx, key);
      checkPreconditions(current, preconditions);
      await trx
        .deleteFrom('resources')
        .where('kind', '=', key.kind)
        .where('namespace', '=', key.namespace)
        .where('name', '=', key.name)
        .execute();
      return current;
    });
  }

  /**
   * Writes the status of an object unless it was written again since `resourceVersion` was read
   * (the run that write triggers will write a fresher status). Does not bump the revision.
   */
  async writeStatus(
    key: ResourceKey,
    resourceVersion: number,
    status: Readonly<Record<string, unknown>>,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('resources')
      .set({ status: JSON.stringify(status) })
      .where('kind', '=', key.kind)
      .where('namespace', '=', key.namespace)
      .where('name', '=', key.name)
      .where('resource_version', '=', String(resourceVersion))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async #write(
    within: WithinWrite | undefined,
    fn: (trx: Trx, revision: number) => Promise<StoredResource>,
  ): Promise<WriteResult> {
    const result = await this.#db.transaction().execute(async (trx) => {
      // First statement of every write: takes the counter's row lock, so writers are serialized
      // and a revision is visible only together with the write that took it.
      const bumped = await trx
        .updateTable('config_revision')
        .set({ revision: sql`revision + 1` })
        .returning('revision')
        .executeTakeFirstOrThrow();
      const revision = Number(bumped.revision);
      const resource = await fn(trx, revision);
      await within?.(trx, { resource, revision });
      return { resource, revision };
    });
    for (const listener of this.#listeners) listener(result.revision);
    return result;
  }
}

async function readRevision(trx: Trx): Promise<number> {
  const row = await trx.selectFrom('config_revision').select('revision').executeTakeFirstOrThrow();
  return Number(row.revision);
}

async function lockRow(trx: Trx, key: ResourceKey): Promise<StoredResource> {
  const row = await trx
    .selectFrom('resources')
    .selectAll()
    .where('kind', '=', key.kind)
    .where('namespace', '=', key.namespace)
    .where('name', '=', key.name)
    .forUpdate()
    .executeTakeFirst();
  if (row === undefined) throw notFound(key);
  return toStored(row);
}

function checkPreconditions(current: StoredResource, preconditions: Preconditions): void {
  if (preconditions.ifMatch !== undefined && preconditions.ifMatch !== current.resourceVersion) {
    throw new HubpoError(
      'PRECONDITION_FAILED',
      `If-Match does not match: the object is at resourceVersion ${current.resourceVersion}`,
    );
  }
  if (
    preconditions.resourceVersion !== undefined &&
    preconditions.resourceVersion !== current.resourceVersion
  ) {
    throw new HubpoError(
      'CONFLICT',
      `the object was modified: metadata.resourceVersion is ${preconditions.resourceVersion}, the object is at ${current.resourceVersion}; read it again and retry`,
      { issues: [{ path: '/metadata/resourceVersion', message: 'not the current resourceVersion' }] },
    );
  }
}

function labelCondition(
  eb: ExpressionBuilder<Database, 'resources'>,
  r: LabelRequirement,
): Expression<SqlBool> {
  const labels = eb.ref('labels');
  switch (r.op) {
    case 'eq':
      return sql<SqlBool>`${labels} @> ${JSON.stringify({ [r.key]: r.value })}::jsonb`;
    case 'neq':
      return sql<SqlBool>`not (${labels} @> ${JSON.stringify({ [r.key]: r.value })}::jsonb)`;
    case 'exists':
      return sql<SqlBool>`jsonb_exists(${labels}, ${r.key})`;
    case 'absent':
      return sql<SqlBool>`not jsonb_exists(${labels}, ${r.key})`;
    default:
      return assertNever(r, 'label requirement');
  }
}

function notFound(key: ResourceKey): HubpoError {
  return new HubpoError('NOT_FOUND', `${key.kind} ${key.namespace}/${key.name} not found`);
}

function toStored(row: Selectable<ResourcesTable>): StoredResource {
  return {
    kind: row.kind as KindName,
    namespace: row.namespace,
    name: row.name,
    uid: row.uid,
    generation: Number(row.generation),
    resourceVersion: Number(row.resource_version),
    labels: row.labels,
    annotations: row.annotations,
    spec: row.spec,
    status: row.status,
    originCluster: row.origin_cluster,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
