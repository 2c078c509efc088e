import type { Transaction } from 'kysely';
import { errorMessage } from '@hubpo/core';
import { credentialKey, objectKey } from '@hubpo/translator';
import type { Logger } from '../logger.js';
import type { CredentialSource, LoadedCredentials } from '../pipeline/config-pipeline.js';
import type { Database, Db } from '../store/database.js';
import type { ResourceKey, StoredResource } from '../store/resource-store.js';
import { clusterDb, clusterTrx } from './cluster-tables.js';
import type { ClusterDb } from './cluster-tables.js';
import { explainUnavailableCredentials } from './explain-unavailable-credentials.js';
import type { SecretBox } from './secret-box.js';

/** A credential an operator sent for one AIModel target, before it is stored. */
export interface CredentialInput {
  readonly target: number;
  readonly value: string;
}

/** A credential ready to store: sealed under HUBPO_SECRET_KEY, with its keyed digest. */
export interface SealedCredential {
  readonly target: number;
  readonly sealed: string;
  readonly digest: string;
}

/**
 * Provider credentials operators send for AIModel targets (`credentialsRef`): sealed at rest
 * with HUBPO_SECRET_KEY (bound to kind/namespace/name/target by the associated data), never
 * returned by any API, and resealed for the data plane with HUBPO_DATAPLANE_KEY when translated.
 *
 * Rows carry the `resource_version` of the write that stored them, written in the same
 * transaction, so a translation uses exactly the credentials of the version it read (a target
 * index never pairs with another version's credential). A write keeps the rows of the version it
 * replaces, for a translation that read that version just before; older rows go.
 */
export class CredentialVault implements CredentialSource {
  readonly #db: ClusterDb;
  readonly #atRest: SecretBox;
  readonly #dataplane: SecretBox | undefined;
  readonly #logger: Logger;
  /** At-rest ciphertext -> data-plane seal, for the credentials of the last translation. */
  #resealed = new Map<string, string>();

  constructor(options: { db: Db; atRest: SecretBox; dataplane: SecretBox | undefined; logger: Logger }) {
    this.#db = clusterDb(options.db);
    this.#atRest = options.atRest;
    this.#dataplane = options.dataplane;
    this.#logger = options.logger;
  }

  seal(key: ResourceKey, credentials: readonly CredentialInput[]): SealedCredential[] {
    return credentials.map((c) => {
      const context = aad(key, c.target);
      return {
        target: c.target,
        sealed: this.#atRest.seal(c.value, context),
        digest: this.#atRest.digest(c.value, context),
      };
    });
  }

  /** Digest per target index of the credentials stored with a resource version. */
  async digests(key: ResourceKey, resourceVersion: number): Promise<ReadonlyMap<number, string>> {
    const rows = await this.#db
      .selectFrom('resource_credentials')
      .select(['target_index', 'digest'])
      .where('kind', '=', key.kind)
      .where('namespace', '=', key.namespace)
      .where('name', '=', key.name)
      .where('resource_version', '=', String(resourceVersion))
      .execute();
    return new Map(rows.map((r) => [r.target_index, r.digest]));
  }

  /** Stores the credentials of a write (inside its transaction); keeps those of `previousVersion`. */
  async write(
    trx: Transaction<Database>,
    key: ResourceKey,
    revision: number,
    previousVersion: number | undefined,
    credentials: readonly SealedCredential[],
  ): Promise<void> {
    const t = clusterTrx(trx);
    let stale = t
      .deleteFrom('resource_credentials')
      .where('kind', '=', key.kind)
      .where('namespace', '=', key.namespace)
      .where('name', '=', key.name)
      .where('resource_version', '!=', String(revision));
    if (previousVersion !== undefined) stale = stale.where('resource_version', '!=', String(previousVersion));
    await stale.execute();
    if (credentials.length === 0) return;
    await t
      .insertInto('resource_credentials')
      .values(
        credentials.map((c) => ({
          kind: key.kind,
          namespace: key.namespace,
          name: key.name,
          resource_version: revision,
          target_index: c.target,
          sealed: c.sealed,
          digest: c.digest,
        })),
      )
      .execute();
  }

  async load(resources: readonly StoredResource[]): Promise<LoadedCredentials> {
    const versions = new Map<string, StoredResource>();
    for (const r of resources) {
      if (r.kind === 'AIModel' && r.originCluster !== null)
        versions.set(objectKey(r.kind, r.namespace, r.name), r);
    }
    if (versions.size === 0) return { credentials: new Map() };
    const rows = await this.#db
      .selectFrom('resource_credentials')
      .selectAll()
      .where('kind', '=', 'AIModel')
      .execute();
    const credentials = new Map<string, string>();
    const unavailable = new Map<string, string>();
    const resealed = new Map<string, string>();
    for (const row of rows) {
      const key = objectKey('AIModel', row.namespace, row.name);
      if (versions.get(key)?.resourceVersion !== Number(row.resource_version)) continue;
      if (this.#dataplane === undefined) {
        unavailable.set(
          key,
          'the control plane holds the credential but cannot seal it for gateways: HUBPO_DATAPLANE_KEY is not set',
        );
        continue;
      }
      const sealed = this.#reseal(
        row.sealed,
        { kind: 'AIModel', namespace: row.namespace, name: row.name },
        row.target_index,
      );
      if (sealed === undefined) {
        unavailable.set(
          key,
          'the stored credential cannot be decrypted with HUBPO_SECRET_KEY (was the key changed?); the operator resends it when the Secret changes',
        );
        continue;
      }
      resealed.set(row.sealed, sealed);
      credentials.set(credentialKey(row.namespace, row.name, row.target_index), sealed);
    }
    this.#resealed = resealed;
    return unavailable.size === 0
      ? { credentials }
      : { credentials, explain: (result) => explainUnavailableCredentials(result, unavailable) };
  }

  #reseal(sealed: string, key: ResourceKey, target: number): string | undefined {
    const cached = this.#resealed.get(sealed);
    if (cached !== undefined) return cached;
    try {
      const plaintext = this.#atRest.open(sealed, aad(key, target));
      return this.#dataplane?.sealStable(plaintext, credentialKey(key.namespace, key.name, target));
    } catch (err) {
      this.#logger.error(
        { kind: key.kind, namespace: key.namespace, name: key.name, target, err: errorMessage(err) },
        'a stored credential does not open with HUBPO_SECRET_KEY',
      );
      return undefined;
    }
  }
}

function aad(key: ResourceKey, target: number): string {
  return `hubpo/credential/v1:${key.kind}/${key.namespace}/${key.name}/${target}`;
}
