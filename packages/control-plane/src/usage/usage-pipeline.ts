import type { Router } from 'express';
import type { Runner } from '@hubpo/core';
import type { Telemetry } from '@hubpo/telemetry';
import type { ControlPlaneConfig } from '../control-plane-config.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/database.js';
import { UsageConsumer } from './usage-consumer.js';
import { UsageReportingService } from './usage-reporting-service.js';
import { usageRouter } from './usage-routes.js';
import { UsageStore } from './usage-store.js';

/** The control plane's part of the usage pipeline, for `createControlPlane` to wire. */
export interface UsagePipeline {
  /** Mount at `/api/v1/usage` behind the admin token. */
  readonly router: Router;
  /** The JetStream consumer; absent without NATS. */
  readonly runner: Runner | undefined;
  /** `hubpo.usage.v1.UsageReporting`, for the gRPC server: gateways without NATS report here. */
  readonly reporting: UsageReportingService;
}

export function createUsagePipeline(
  config: ControlPlaneConfig,
  db: Db,
  logger: Logger,
  telemetry: Telemetry,
): UsagePipeline {
  const store = new UsageStore(db);
  const runner =
    config.natsUrl === undefined
      ? undefined
      : new UsageConsumer({
          url: config.natsUrl,
          store,
          logger,
          meter: telemetry.meter,
          settings: { replicas: config.natsReplicas },
        });
  const reporting = new UsageReportingService({ store, logger, meter: telemetry.meter });
  return { router: usageRouter(store), runner, reporting };
}
