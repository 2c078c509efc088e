import type { Router } from 'express';
import { SecretBox, parseKey } from '../clusters/secret-box.js';
import type { ControlPlaneConfig } from '../control-plane-config.js';
import type { Logger } from '../logger.js';
import type { CredentialSource } from '../pipeline/config-pipeline.js';
import type { Db } from '../store/database.js';
import { AdminCredentialSource } from './admin-credential-source.js';
import { AdminSecretStore } from './admin-secret-store.js';
import { secretRouter } from './secret-routes.js';

/** The admin API's secrets, for `createControlPlane` to wire. */
export interface AdminSecrets {
  /** Mount at `/api/v1` behind the admin token (before the resource routes). */
  readonly router: Router;
  /** The pipeline's credential source: the cluster vault's credentials plus admin secrets. */
  readonly credentials: CredentialSource | undefined;
}

/**
 * Builds the secrets API and the combined credential source. Without `secretKey`
 * (HUBPO_SECRET_KEY) nothing can be stored: the routes answer 503 and only the vault (if any)
 * supplies credentials. `onCommit` is the pipeline's trigger.
 */
export function createAdminSecrets(
  config: ControlPlaneConfig,
  db: Db,
  vault: CredentialSource | undefined,
  logger: Logger,
  onCommit: () => void,
): AdminSecrets {
  if (config.secretKey === undefined) return { router: secretRouter(undefined), credentials: vault };
  const store = new AdminSecretStore(
    db,
    new SecretBox(parseKey('HUBPO_SECRET_KEY', config.secretKey)),
    onCommit,
  );
  const dataplane =
    config.dataplaneKey === undefined
      ? undefined
      : new SecretBox(parseKey('HUBPO_DATAPLANE_KEY', config.dataplaneKey));
  return {
    router: secretRouter(store),
    credentials: new AdminCredentialSource({ vault, secrets: store, dataplane, logger }),
  };
}
