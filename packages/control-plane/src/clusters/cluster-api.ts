import type { Router } from 'express';
import type { Runner } from '@hubpo/core';
import type { ControlPlaneConfig } from '../control-plane-config.js';
import type { Logger } from '../logger.js';
import type { CredentialSource } from '../pipeline/config-pipeline.js';
import type { DatabaseHandle } from '../store/database.js';
import type { ResourceStore } from '../store/resource-store.js';
import { ClusterObjects } from './cluster-objects.js';
import { ClusterRegistry } from './cluster-registry.js';
import { clusterRouter } from './cluster-router.js';
import { CredentialVault } from './credential-vault.js';
import { SecretBox, parseKey } from './secret-box.js';
import { StatusFeed } from './status-feed.js';

/** The cluster API's parts, for `createControlPlane` to wire. */
export interface ClusterApi {
  /** Mount at `/api/v1/clusters` before the admin token check. */
  readonly router: Router;
  /** Start after the pipeline; stop before the admin server, so long polls end at once. */
  readonly runners: readonly Runner[];
  readonly registry: ClusterRegistry;
  /** For the pipeline; undefined without HUBPO_SECRET_KEY (nothing can be stored then). */
  readonly credentials: CredentialSource | undefined;
}

/**
 * Builds the cluster API from the config (ADR 0006): enabled by `bootstrapToken`, which then
 * needs `secretKey`; `dataplaneKey` lets translated snapshots carry provider credentials.
 * `onClusterChanged` runs when a cluster registers (its labels may move placements): the
 * pipeline's trigger. The runners stop before the admin server, so long polls end at once.
 */
export function createClusterApi(
  config: ControlPlaneConfig,
  handle: DatabaseHandle,
  store: ResourceStore,
  logger: Logger,
  onClusterChanged: () => void,
): ClusterApi {
  const { db, pool } = handle;
  const registry = new ClusterRegistry(db);
  if (config.bootstrapToken !== undefined && config.secretKey === undefined) {
    throw new Error('secretKey (HUBPO_SECRET_KEY) is required with bootstrapToken');
  }
  const vault =
    config.secretKey === undefined
      ? undefined
      : new CredentialVault({
          db,
          atRest: new SecretBox(parseKey('HUBPO_SECRET_KEY', config.secretKey)),
          dataplane:
            config.dataplaneKey === undefined
              ? undefined
              : new SecretBox(parseKey('HUBPO_DATAPLANE_KEY', config.dataplaneKey)),
          logger,
        });
  if (config.bootstrapToken === undefined || vault === undefined) {
    return { router: clusterRouter(undefined), runners: [], registry, credentials: vault };
  }
  const feed = new StatusFeed({ db, pool, logger });
  const router = clusterRouter({
    bootstrapToken: config.bootstrapToken,
    registry,
    objects: new ClusterObjects(store, vault),
    feed,
    onClusterChanged,
  });
  return { router, runners: [feed], registry, credentials: vault };
}
