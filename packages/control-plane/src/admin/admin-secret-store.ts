import { sql } from 'kysely';
import type { ColumnType, Kysely } from 'kysely';
import { HubpoError } from '@hubpo/core';
import type { SecretBox } from '../clusters/secret-box.js';
import type { Db } from '../store/database.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

interface AdminSecretsTable {
  namespace: string;
  name: string;
  key: string;
  /** base64(iv|tag|ciphertext) under HUBPO_SECRET_KEY, AAD `hubpo/admin-secret/v1:<ns>/<name>/<key>`. */
  sealed: string;
  digest: string;
  updated_at: Timestamp;
}

interface ConfigRevisionTable {
  id: boolean;
  revision: ColumnType<string, number | string, number | string>;
}

interface SecretDatabase {
  admin_secrets: AdminSecretsTable;
  config_revision: ConfigRevisionTable;
}

/** What the API shows of a secret: names, keys and when it last changed; never a value. */
export interface SecretSummary {
  readonly namespace: string;
  readonly name: string;
  readonly keys: readonly string[];
  readonly updatedAt: string;
}

/** A stored value, opened (only for translation; never leaves the control plane unsealed). */
export interface OpenedSecretValue {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  readonly value: string;
}

/**
 * Admin-API secrets (write-only): each `PUT` replaces the whole secret (its keys and values) and
 * bumps `config_revision` in the same transaction, so the pipeline re-translates what refers to
 * it (AIModel `credentialsRef`) at a revision that includes the change; `DELETE` likewise.
 * Values are sealed at rest under HUBPO_SECRET_KEY and bound to their row.
 */
export class AdminSecretStore {
  readonly #db: Kysely<SecretDatabase>;
  readonly #box: SecretBox;
  readonly #onCommit: () => void;

  constructor(db: Db, box: SecretBox, onCommit: () => void) {
    this.#db = db as unknown as Kysely<SecretDatabase>;
    this.#box = box;
    this.#onCommit = onCommit;
  }

  /** Replaces the secret; returns its summary. */
  async put(namespace: string, name: string, data: Readonly<Record<string, string>>): Promise<SecretSummary> {
    const rows = Object.entries(data).map(([key, value]) => {
      const aad = secretAad(namespace, name, key);
      return {
        namespace,
        name,
        key,
        sealed: this.#box.seal(value, aad),
        digest: this.#box.digest(value, aad),
      };
    });
    await this.#db.transaction().execute(async (trx) => {
      await bumpRevision(trx);
      await trx
        .deleteFrom('admin_secrets')
        .where('namespace', '=', namespace)
        .where('name', '=', name)
        .execute();
      await trx.insertInto('admin_secrets').values(rows).execute();
    });
    this.#onCommit();
    const summary = await this.get(namespace, name);
    if (summary === undefined) throw new HubpoError('INTERNAL', 'a secret just written is missing');
    return summary;
  }

  /** Deletes the secret; false when there was none. */
  async delete(namespace: string, name: string): Promise<boolean> {
    const deleted = await this.#db
      .transaction()
      .execute(async (trx) => {
        await bumpRevision(trx);
        const result = await trx
          .deleteFrom('admin_secrets')
          .where('namespace', '=', namespace)
          .where('name', '=', name)
          .executeTakeFirst();
        if (result.numDeletedRows === 0n)
          throw new HubpoError('NOT_FOUND', `secret ${namespace}/${name} not found`);
        return true;
      })
      .catch((err: unknown) => {
        if (err instanceof HubpoError && err.kind === 'NOT_FOUND') return false;
        throw err;
      });
    if (deleted) this.#onCommit();
    return deleted;
  }

  async get(namespace: string, name: string): Promise<SecretSummary | undefined> {
    const list = await this.list(namespace, name);
    return list[0];
  }

  /** Summaries sorted by namespace and name, optionally of one namespace (and one name). */
  async list(namespace?: string, name?: string): Promise<SecretSummary[]> {
    let query = this.#db
      .selectFrom('admin_secrets')
      .select(['namespace', 'name', 'key', 'updated_at'])
      .orderBy('namespace')
      .orderBy('name')
      .orderBy('key');
    if (namespace !== undefined) query = query.where('namespace', '=', namespace);
    if (name !== undefined) query = query.where('name', '=', name);
    const rows = await query.execute();
    const out: { namespace: string; name: string; keys: string[]; updatedAt: Date }[] = [];
    for (const row of rows) {
      const last = out[out.length - 1];
      if (last !== undefined && last.namespace === row.namespace && last.name === row.name) {
        last.keys.push(row.key);
        if (row.updated_at > last.updatedAt) last.updatedAt = row.updated_at;
      } else {
        out.push({ namespace: row.namespace, name: row.name, keys: [row.key], updatedAt: row.updated_at });
      }
    }
    return out.map((s) => ({ ...s, updatedAt: s.updatedAt.toISOString() }));
  }

  /**
   * Opens every stored value (for the pipeline). A value that does not open (HUBPO_SECRET_KEY
   * changed) is reported by `onUnopened` with its location only, and left out.
   */
  async openAll(onUnopened: (at: string) => void): Promise<OpenedSecretValue[]> {
    const rows = await this.#db
      .selectFrom('admin_secrets')
      .select(['namespace', 'name', 'key', 'sealed'])
      .execute();
    const out: OpenedSecretValue[] = [];
    for (const row of rows) {
      try {
        const value = this.#box.open(row.sealed, secretAad(row.namespace, row.name, row.key));
        out.push({ namespace: row.namespace, name: row.name, key: row.key, value });
      } catch {
        onUnopened(`${row.namespace}/${row.name}#${row.key}`);
      }
    }
    return out;
  }
}

function secretAad(namespace: string, name: string, key: string): string {
  return `hubpo/admin-secret/v1:${namespace}/${name}/${key}`;
}

async function bumpRevision(trx: Kysely<SecretDatabase>): Promise<void> {
  // Same first statement as every resource write: serializes writers and orders revisions.
  await trx
    .updateTable('config_revision')
    .set({ revision: sql`revision + 1` })
    .returning('revision')
    .executeTakeFirstOrThrow();
}
