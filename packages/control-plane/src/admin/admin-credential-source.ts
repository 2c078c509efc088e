import type { AIModelSpec } from '@hubpo/api';
import { credentialKey, objectKey } from '@hubpo/translator';
import { explainUnavailableCredentials } from '../clusters/explain-unavailable-credentials.js';
import type { SecretBox } from '../clusters/secret-box.js';
import type { Logger } from '../logger.js';
import type { CredentialSource, LoadedCredentials } from '../pipeline/config-pipeline.js';
import type { StoredResource } from '../store/resource-store.js';
import type { AdminSecretStore } from './admin-secret-store.js';

/**
 * Provider credentials for the pipeline from both sources: operator objects (those with an
 * origin cluster) get theirs from the cluster API's vault, as before; admin-API AIModels resolve
 * each target's `credentialsRef` (`namespace` defaults to the model's) against the admin-API
 * secrets, opened here and resealed for gateways with HUBPO_DATAPLANE_KEY (`sealStable`, so an
 * unchanged secret gives an unchanged snapshot). A missing secret or key leaves the target out
 * (the translator's ResolvedRefs=False SecretNotFound); when the value exists but cannot be
 * delivered, the condition says why. Values never leave this process unsealed and are never logged.
 */
export class AdminCredentialSource implements CredentialSource {
  readonly #vault: CredentialSource | undefined;
  readonly #secrets: AdminSecretStore;
  readonly #dataplane: SecretBox | undefined;
  readonly #logger: Logger;

  constructor(options: {
    vault: CredentialSource | undefined;
    secrets: AdminSecretStore;
    dataplane: SecretBox | undefined;
    logger: Logger;
  }) {
    this.#vault = options.vault;
    this.#secrets = options.secrets;
    this.#dataplane = options.dataplane;
    this.#logger = options.logger;
  }

  async load(resources: readonly StoredResource[]): Promise<LoadedCredentials> {
    const fromVault = await this.#vault?.load(resources);
    const credentials = new Map(fromVault?.credentials ?? []);
    const unavailable = new Map<string, string>();
    const admin = resources.filter((r) => r.kind === 'AIModel' && r.originCluster === null);
    if (admin.length > 0) {
      const values = new Map<string, string>();
      const opened = await this.#secrets.openAll((at) =>
        this.#logger.error({ secret: at }, 'a stored admin secret does not open with HUBPO_SECRET_KEY'),
      );
      for (const v of opened) values.set(`${v.namespace}/${v.name}#${v.key}`, v.value);
      for (const r of admin) this.#resolve(r, values, credentials, unavailable);
    }
    const explainVault = fromVault?.explain;
    if (unavailable.size === 0)
      return explainVault === undefined ? { credentials } : { credentials, explain: explainVault };
    return {
      credentials,
      explain: (result) =>
        explainUnavailableCredentials(
          explainVault === undefined ? result : explainVault(result),
          unavailable,
        ),
    };
  }

  #resolve(
    r: StoredResource,
    values: ReadonlyMap<string, string>,
    credentials: Map<string, string>,
    unavailable: Map<string, string>,
  ): void {
    const spec = r.spec as unknown as AIModelSpec;
    spec.targets.forEach((target, index) => {
      const ref = target.credentialsRef;
      if (ref === undefined) return;
      const value = values.get(`${ref.namespace ?? r.namespace}/${ref.name}#${ref.key}`);
      if (value === undefined) return;
      if (this.#dataplane === undefined) {
        unavailable.set(
          objectKey('AIModel', r.namespace, r.name),
          'the secret exists but cannot be sealed for gateways: HUBPO_DATAPLANE_KEY is not set',
        );
        return;
      }
      const key = credentialKey(r.namespace, r.name, index);
      credentials.set(key, this.#dataplane.sealStable(value, key));
    });
  }
}
