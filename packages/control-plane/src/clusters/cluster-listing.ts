import type { ClusterRecord } from '../store/cluster-store.js';
import type { OperatorRecord } from './cluster-registry.js';

/**
 * How the cluster list shows a cluster's state: `unreachable` once nothing of it (operator
 * heartbeat, gateway) was seen for `silenceMs`, or when the gateway sweep marked it so; `active`
 * otherwise. Silence never removes a cluster, its objects or its config (ARCHITECTURE.md).
 */
export function clusterState(record: ClusterRecord, silenceMs: number, now = Date.now()): string {
  const silent = record.lastSeen !== null && now - record.lastSeen.getTime() > silenceMs;
  return silent ? 'unreachable' : record.state;
}

/** The operator part of a cluster list item: null when no operator ever registered it. */
export function operatorView(record: OperatorRecord | undefined): Record<string, unknown> | null {
  if (record === undefined) return null;
  return {
    registeredAt: record.registeredAt.toISOString(),
    lastHeartbeat: record.lastHeartbeat?.toISOString() ?? null,
    ...record.operator,
  };
}
