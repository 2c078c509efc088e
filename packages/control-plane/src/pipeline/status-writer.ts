import { objectKey } from '@hubpo/translator';
import type { ObjectStatus } from '@hubpo/translator';
import { resourceKey } from '@hubpo/snapshot';
import type { GatewayRegistry, GatewayState } from '../distribution/gateway-registry.js';
import type { ResourceStore, StoredResource } from '../store/resource-store.js';
import { CONFIG_KIND } from './config-kind.js';
import type { PipelineRun } from './config-pipeline.js';
import { desiredStatus } from './desired-status.js';
import type { ClusterPlacement } from './desired-status.js';
import type { PublishedSnapshot, PublishedSnapshots } from './published-snapshots.js';
import { conditionsOf, mergeConditions, statusDiffers } from './status-merge.js';

/**
 * Computes every object's status from the last run, the published snapshots and the gateways'
 * applied revisions, and writes the ones that changed. Remembers what it wrote, so a refresh
 * after ACKs compares against the stored status, not the one the run loaded.
 */
export class StatusWriter {
  readonly #store: ResourceStore;
  readonly #published: PublishedSnapshots;
  readonly #gateways: GatewayRegistry;
  /** Last status written per `kind/namespace/name@resourceVersion`. */
  #written = new Map<string, Readonly<Record<string, unknown>>>();
  readonly #generations = new Map<string, ReadonlyMap<string, number>>();

  constructor(store: ResourceStore, published: PublishedSnapshots, gateways: GatewayRegistry) {
    this.#store = store;
    this.#published = published;
    this.#gateways = gateways;
  }

  /** Writes the statuses that changed; returns how many were written. */
  async write(run: PipelineRun): Promise<number> {
    const now = new Date().toISOString();
    const byCluster = indexStatuses(run);
    const connected = connectedByCluster(this.#gateways.list());
    const written = new Map<string, Readonly<Record<string, unknown>>>();
    let count = 0;
    for (const r of run.resources) {
      const version = `${objectKey(r.kind, r.namespace, r.name)}@${r.resourceVersion}`;
      const previous = this.#written.get(version) ?? r.status;
      const next = this.#statusOf(r, run, byCluster, connected, previous, now);
      if (statusDiffers(previous, next)) {
        const key = { kind: r.kind, namespace: r.namespace, name: r.name };
        if (await this.#store.writeStatus(key, r.resourceVersion, next)) count += 1;
      }
      written.set(version, next);
    }
    this.#written = written;
    return count;
  }

  #statusOf(
    r: StoredResource,
    run: PipelineRun,
    byCluster: ReadonlyMap<string, ReadonlyMap<string, ObjectStatus>>,
    connected: ReadonlyMap<string, readonly GatewayState[]>,
    previous: Readonly<Record<string, unknown>>,
    now: string,
  ): Record<string, unknown> {
    const key = objectKey(r.kind, r.namespace, r.name);
    const configKind = CONFIG_KIND[r.kind];
    const placements: ClusterPlacement[] = [];
    for (const [cluster, statuses] of byCluster) {
      const translated = statuses.get(key);
      if (translated === undefined) continue;
      const published = this.#published.get(cluster);
      const snapshotKey =
        configKind === undefined ? undefined : resourceKey(configKind, `${r.namespace}/${r.name}`);
      const programmed =
        snapshotKey !== undefined &&
        published !== undefined &&
        this.#generationsOf(published).get(snapshotKey) === r.generation;
      const liveSince =
        programmed && snapshotKey !== undefined ? published?.liveSince.get(snapshotKey) : undefined;
      placements.push({
        cluster,
        conditions: translated.conditions,
        programmed,
        ...(liveSince === undefined ? {} : { liveSince }),
        ...gatewayCounts(connected.get(cluster) ?? [], liveSince, published),
      });
    }
    const desired = desiredStatus({
      kind: r.kind,
      generation: r.generation,
      distributable: configKind !== undefined,
      placements,
      failedClusters: run.failedClusters,
    });
    return {
      observedGeneration: desired.observedGeneration,
      conditions: mergeConditions(conditionsOf(previous), desired.conditions, now),
      ...(desired.distribution.length === 0 ? {} : { distribution: desired.distribution }),
    };
  }

  /** `kind/id` -> generation of every payload of a published snapshot (decoded once per snapshot). */
  #generationsOf(published: PublishedSnapshot): ReadonlyMap<string, number> {
    const cacheKey = `${published.snapshot.cluster}@${published.snapshot.hash}`;
    const cached = this.#generations.get(cacheKey);
    if (cached !== undefined) return cached;
    const generations = new Map<string, number>();
    for (const [key, res] of published.snapshot.resources) {
      const value = JSON.parse(Buffer.from(res.payload).toString('utf8')) as { generation?: unknown };
      if (typeof value.generation === 'number') generations.set(key, value.generation);
    }
    for (const k of this.#generations.keys())
      if (k.startsWith(`${published.snapshot.cluster}@`)) this.#generations.delete(k);
    this.#generations.set(cacheKey, generations);
    return generations;
  }
}

function indexStatuses(run: PipelineRun): Map<string, Map<string, ObjectStatus>> {
  const byCluster = new Map<string, Map<string, ObjectStatus>>();
  for (const [cluster, result] of run.results) {
    const statuses = new Map<string, ObjectStatus>();
    for (const s of result.statuses) statuses.set(objectKey(s.kind, s.namespace, s.name), s);
    byCluster.set(cluster, statuses);
  }
  return byCluster;
}

function connectedByCluster(gateways: readonly GatewayState[]): Map<string, GatewayState[]> {
  const byCluster = new Map<string, GatewayState[]>();
  for (const g of gateways) {
    if (!g.connected) continue;
    const list = byCluster.get(g.cluster) ?? [];
    list.push(g);
    byCluster.set(g.cluster, list);
  }
  return byCluster;
}

/**
 * Connected gateways of a cluster, how many serve `liveSince` or later, and (once all do) how long
 * it took from publication to the last of their first ACKs at or after `liveSince`.
 */
export function gatewayCounts(
  gateways: readonly GatewayState[],
  liveSince: number | undefined,
  published: PublishedSnapshot | undefined,
): { gateways: number; acked: number; propagationMs?: number } {
  if (liveSince === undefined) return { gateways: gateways.length, acked: 0 };
  const acked = gateways.filter((g) => g.appliedRevision >= liveSince).length;
  const publishedAt = published?.history.get(liveSince);
  if (acked === 0 || acked < gateways.length || publishedAt === undefined)
    return { gateways: gateways.length, acked };
  let last = 0;
  for (const g of gateways) {
    const first = g.acks.find((a) => a.revision >= liveSince);
    if (first === undefined) return { gateways: gateways.length, acked };
    last = Math.max(last, first.at);
  }
  return { gateways: gateways.length, acked, propagationMs: Math.max(0, last - publishedAt) };
}
