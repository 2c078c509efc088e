import { errorMessage } from '@hubpo/core';
import { ControlPlaneClient } from './control-plane/control-plane-client.js';
import { HealthServer } from './health/health-server.js';
import type { InformerStats } from './informer/informer.js';
import { createKubeClient } from './kube/client-node-kube-client.js';
import type { KubeClient } from './kube/kube-client.js';
import { LeaderElector } from './leader/leader-elector.js';
import { LeaderSession } from './leader-session.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import type { OperatorConfig } from './operator-config.js';

/** A running operator replica. */
export interface Operator {
  /** `http://host:port` of `/healthz` and `/readyz`. */
  readonly healthUrl: string;
  /** This replica holds the Lease and reconciles. */
  isLeader(): boolean;
  /** The leader registered and synced, or a standby. */
  isReady(): boolean;
  /** Informer counters of the leader (lists, watches, watchdog restarts, 410 relists); empty on a standby. */
  informerStats(): Record<string, InformerStats>;
  /** Stops reconciling, releases the Lease (a standby takes over at once), stops serving. */
  stop(): Promise<void>;
}

/** Test and embedding seams; production passes none. */
export interface OperatorHooks {
  readonly logger?: Logger;
  /** Replaces the @kubernetes/client-node client. */
  readonly kube?: KubeClient;
}

/**
 * Starts an operator replica in this process: the health server, then leader election. The
 * leader builds a LeaderSession (register, informers, reconcile, statuses) and tears it down
 * when it stops leading; standbys only campaign. Several replicas can run in one process.
 */
export async function createOperator(config: OperatorConfig, hooks: OperatorHooks = {}): Promise<Operator> {
  const logger = (hooks.logger ?? createLogger(config.logLevel)).child({ pod: config.identity });
  const kube = hooks.kube ?? createKubeClient(config.kubeconfig);
  const controlPlane = new ControlPlaneClient(config.controlPlaneUrl, {
    ...(config.controlPlaneCaFile === undefined ? {} : { caFile: config.controlPlaneCaFile }),
  });
  let session: LeaderSession | undefined;
  const elector = new LeaderElector({
    client: kube,
    namespace: config.leaseNamespace,
    name: config.leaseName,
    identity: config.identity,
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs,
    logger,
    onStartedLeading: () => {
      session = new LeaderSession({ config, kube, controlPlane, logger });
      session.start();
    },
    onStoppedLeading: async () => {
      const ending = session;
      session = undefined;
      await ending
        ?.stop()
        .catch((err: unknown) =>
          logger.error({ err: errorMessage(err) }, 'stopping the leader session failed'),
        );
    },
  });
  const readiness = () => {
    if (!elector.isLeader()) return { ready: true, status: 'standby', reasons: [] };
    const reasons = session?.reasons ?? ['starting'];
    return {
      ready: session?.ready === true,
      status: session?.ready === true ? 'ready' : 'not ready',
      reasons,
    };
  };
  const health = new HealthServer(config.healthAddr, readiness);
  await health.start();
  elector.start();
  logger.info(
    { health: health.url, cluster: config.cluster, lease: `${config.leaseNamespace}/${config.leaseName}` },
    'operator started',
  );
  let stopping: Promise<void> | undefined;
  return {
    healthUrl: health.url,
    isLeader: () => elector.isLeader(),
    isReady: () => readiness().ready,
    informerStats: () => session?.stats() ?? {},
    stop: () => {
      stopping ??= (async () => {
        await elector.stop();
        await health.stop();
        await controlPlane.close();
        logger.info('operator stopped');
      })();
      return stopping;
    },
  };
}
