import { API_VERSION } from '@hubpo/api';
import type { AnyResource } from '@hubpo/api';
import { Debouncer, errorMessage } from '@hubpo/core';
import type { Runner } from '@hubpo/core';
import { buildSnapshot } from '@hubpo/snapshot';
import type { ConfigObject, Snapshot } from '@hubpo/snapshot';
import { objectKey, translate } from '@hubpo/translator';
import type { ClusterInfo, TranslateInput, TranslateResult } from '@hubpo/translator';
import type { ControlPlaneMetrics } from '../control-plane-metrics.js';
import type { GatewayRegistry } from '../distribution/gateway-registry.js';
import type { Logger } from '../logger.js';
import type { ClusterStore } from '../store/cluster-store.js';
import type { ResourceStore, StoredResource } from '../store/resource-store.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { PublishedSnapshots } from './published-snapshots.js';
import { StatusWriter } from './status-writer.js';

export type TranslateFn = (input: TranslateInput) => TranslateResult;

/** Provider credentials of the loaded resources, sealed for the data plane (ADR 0006). */
export interface CredentialSource {
  load(resources: readonly StoredResource[]): Promise<LoadedCredentials>;
}

export interface LoadedCredentials {
  /** By `credentialKey(namespace, name, targetIndex)`. */
  readonly credentials: ReadonlyMap<string, string>;
  /** Rewrites a cluster's translation result (e.g. to say why a held credential was not supplied). */
  readonly explain?: (result: TranslateResult) => TranslateResult;
}

export interface ConfigPipelineOptions {
  readonly store: ResourceStore;
  readonly clusters: ClusterStore;
  readonly snapshots: SnapshotStore;
  readonly published: PublishedSnapshots;
  readonly gateways: GatewayRegistry;
  /** Always translated, registered at start: the cluster of admin-API objects. */
  readonly defaultCluster: string;
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  /** Period of the revision check that catches writes of other replicas (0: off). */
  readonly resyncMs: number;
  readonly logger: Logger;
  readonly metrics: ControlPlaneMetrics;
  /** The translator; replaceable so tests can make a translation throw. */
  readonly translate?: TranslateFn;
  /** Credentials operators sent for AIModel targets; without it no target gets a credential. */
  readonly credentials?: CredentialSource;
}

/** What the last run saw and produced; statuses are computed from it. */
export interface PipelineRun {
  readonly revision: number;
  readonly resources: readonly StoredResource[];
  readonly results: ReadonlyMap<string, TranslateResult>;
  readonly failedClusters: readonly string[];
}

/**
 * Resources -> translation -> snapshot -> publication, per cluster. Every committed write
 * triggers a debounced run; a run reads all resources at one revision, translates them for every
 * known cluster and publishes a cluster's snapshot only when its translation succeeded and its
 * hash changed. A translation that throws keeps the cluster's previous snapshot. After each run,
 * and (debounced) after gateway ACKs, object statuses are written without bumping the revision.
 */
export class ConfigPipeline implements Runner {
  readonly name = 'config-pipeline';
  readonly #o: ConfigPipelineOptions;
  readonly #translate: TranslateFn;
  readonly #debouncer: Debouncer;
  readonly #statusDebouncer: Debouncer;
  readonly #statuses: StatusWriter;
  #last: PipelineRun | undefined;
  #translatedRevision = -1;
  #translatedEpoch = '';
  #resync: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #serial: Promise<void> = Promise.resolve();
  #frozen = false;

  constructor(options: ConfigPipelineOptions) {
    this.#o = options;
    this.#translate = options.translate ?? translate;
    const onError = (what: string) => (err: unknown) =>
      options.logger.error({ err: errorMessage(err) }, `${what} failed; will retry on the next change`);
    this.#debouncer = new Debouncer({
      quietMs: options.debounceMs,
      maxWaitMs: options.maxWaitMs,
      action: () => this.#exclusive(() => this.#run()),
      onError: onError('config translation'),
    });
    this.#statusDebouncer = new Debouncer({
      quietMs: Math.max(options.debounceMs, 50),
      maxWaitMs: options.maxWaitMs,
      action: () => this.#exclusive(() => this.#writeStatuses()),
      onError: onError('status update'),
    });
    this.#statuses = new StatusWriter(options.store, options.published, options.gateways);
  }

  /** True once a run completed: the first translation since start is done. */
  get ready(): boolean {
    return this.#last !== undefined;
  }

  get lastRun(): PipelineRun | undefined {
    return this.#last;
  }

  async start(): Promise<void> {
    await this.#o.clusters.ensure(this.#o.defaultCluster);
    // Stored snapshots were numbered in this database, so they carry its epoch (ADR 0008).
    const epoch = await this.#o.store.currentEpoch();
    this.#useEpoch(epoch);
    for (const stored of await this.#o.snapshots.latest()) {
      const snapshot = buildSnapshot(stored.cluster, stored.revision, stored.objects, epoch);
      this.#o.published.publish(snapshot, stored.publishedAt.getTime(), true);
    }
    this.#unsubscribe = this.#o.gateways.onChange(() => this.#statusDebouncer.trigger());
    await this.#debouncer.flush();
    if (this.#o.resyncMs > 0) {
      this.#resync = setInterval(() => void this.#checkRevision(), this.#o.resyncMs);
      this.#resync.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.#resync !== undefined) clearInterval(this.#resync);
    this.#unsubscribe?.();
    await this.#debouncer.stop();
    await this.#statusDebouncer.stop();
    await this.#serial;
  }

  /** Schedules a run (debounced); called after every committed write. */
  trigger(): void {
    this.#debouncer.trigger();
  }

  /** Runs now until every write committed before the call is translated, then writes statuses. */
  async flush(): Promise<void> {
    const target = await this.#o.store.currentRevision();
    await this.#debouncer.flush();
    for (let i = 0; i < 10 && this.#translatedRevision < target; i++) await this.#debouncer.flush();
    await this.#statusDebouncer.flush();
  }

  /**
   * Stops status refreshes now: on shutdown, gateways are disconnected from this process only,
   * and writing `Distributed` from that would flap every object's status on each restart.
   */
  async freezeStatuses(): Promise<void> {
    this.#frozen = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#statusDebouncer.stop();
  }

  #exclusive(fn: () => Promise<void>): Promise<void> {
    const next = this.#serial.then(fn);
    this.#serial = next.catch(() => undefined);
    return next;
  }

  async #checkRevision(): Promise<void> {
    try {
      if ((await this.#o.store.currentRevision()) !== this.#translatedRevision) this.trigger();
    } catch (err) {
      this.#o.logger.warn({ err: errorMessage(err) }, 'revision check failed');
    }
  }

  async #run(): Promise<void> {
    const started = process.hrtime.bigint();
    const { revision, epoch, resources } = await this.#o.store.loadAll();
    this.#useEpoch(epoch);
    if (revision < this.#translatedRevision && epoch === this.#translatedEpoch) {
      // Gateways holding the higher revisions of this epoch ignore these (ADR 0008).
      this.#o.logger.error(
        { revision, previous: this.#translatedRevision, epoch },
        'config revision went back within one epoch (database restored from a backup?): gateways ' +
          'ignore these revisions until the epoch is replaced; see docs/adr/0008-config-epochs.md',
      );
    }
    const clusters = await this.#clusterInfos();
    const input = translatorInput(resources);
    const loaded = await this.#o.credentials?.load(resources);
    const results = new Map<string, TranslateResult>();
    const failedClusters: string[] = [];
    for (const cluster of clusters) {
      let result: TranslateResult;
      let snapshot: Snapshot;
      try {
        // Objects without an origin (admin API) have no placement default of their own: the
        // translator puts them in every cluster; operator objects go to the cluster they came from.
        result = this.#translate({
          cluster,
          resources: input.resources,
          defaultPlacement: 'origin',
          origins: input.origins,
          ...(loaded === undefined ? {} : { credentials: loaded.credentials }),
        });
        if (loaded?.explain !== undefined) result = loaded.explain(result);
        snapshot = buildSnapshot(cluster.name, revision, result.objects.map(snapshotObject), epoch);
      } catch (err) {
        failedClusters.push(cluster.name);
        this.#o.metrics.translationFailed(cluster.name);
        this.#o.logger.error(
          { cluster: cluster.name, revision, err: errorMessage(err) },
          'translation failed; the previous snapshot stays published',
        );
        continue;
      }
      results.set(cluster.name, result);
      await this.#publish(snapshot);
    }
    this.#last = { revision, resources, results, failedClusters };
    this.#translatedRevision = revision;
    this.#translatedEpoch = epoch;
    this.#o.metrics.translated(Number(process.hrtime.bigint() - started) / 1e9, revision);
    await this.#writeStatuses();
  }

  /** Epoch of the database's revisions: stamped on what is published, compared with gateways' ACKs. */
  #useEpoch(epoch: string): void {
    if (this.#o.published.epoch !== epoch && this.#o.published.epoch !== '') {
      this.#o.logger.warn(
        { previous: this.#o.published.epoch, epoch },
        'config epoch changed (database recreated or epoch rotated); republishing every cluster',
      );
    }
    this.#o.published.useEpoch(epoch);
    this.#o.gateways.useEpoch(epoch);
  }

  async #publish(snapshot: Snapshot): Promise<void> {
    const current = this.#o.published.get(snapshot.cluster);
    if (current?.snapshot.hash === snapshot.hash && current.snapshot.epoch === snapshot.epoch) return;
    const now = Date.now();
    // Stored first: a snapshot gateways may apply must survive a restart of the control plane.
    await this.#o.snapshots.save(
      {
        cluster: snapshot.cluster,
        revision: snapshot.revision,
        hash: snapshot.hash,
        objects: [...snapshot.resources.values()].map((r) => ({
          kind: r.kind,
          name: r.name,
          value: JSON.parse(Buffer.from(r.payload).toString('utf8')) as unknown,
        })),
      },
      new Date(now),
    );
    this.#o.published.publish(snapshot, now);
    this.#o.metrics.published(snapshot.cluster);
    this.#o.logger.info(
      {
        cluster: snapshot.cluster,
        revision: snapshot.revision,
        hash: snapshot.hash,
        epoch: snapshot.epoch,
        resources: snapshot.resources.size,
      },
      'snapshot published',
    );
  }

  async #writeStatuses(): Promise<void> {
    const last = this.#last;
    if (last === undefined || this.#frozen) return;
    const written = await this.#statuses.write(last);
    if (written > 0) this.#o.logger.debug({ written, revision: last.revision }, 'statuses written');
  }

  async #clusterInfos(): Promise<ClusterInfo[]> {
    const known = await this.#o.clusters.list();
    const infos: ClusterInfo[] = known.map((c) => ({ name: c.name, labels: c.labels }));
    if (!infos.some((c) => c.name === this.#o.defaultCluster))
      infos.push({ name: this.#o.defaultCluster, labels: {} });
    return infos;
  }
}

/** Snapshot objects are named by the config object's id (`namespace/name`) within its kind. */
function snapshotObject(object: ConfigObject): { kind: string; name: string; value: ConfigObject } {
  return { kind: object.kind, name: object.id, value: object };
}

function translatorInput(resources: readonly StoredResource[]): {
  resources: AnyResource[];
  origins: Map<string, string>;
} {
  const origins = new Map<string, string>();
  const list = resources.map((r) => {
    if (r.originCluster !== null) origins.set(objectKey(r.kind, r.namespace, r.name), r.originCluster);
    return toResource(r);
  });
  return { resources: list, origins };
}

/** The resource as the translator reads it: validated at write, server fields filled in. */
export function toResource(r: StoredResource): AnyResource {
  return {
    apiVersion: API_VERSION,
    kind: r.kind,
    metadata: {
      name: r.name,
      namespace: r.namespace,
      labels: { ...r.labels },
      annotations: { ...r.annotations },
      uid: r.uid,
      generation: r.generation,
      resourceVersion: String(r.resourceVersion),
      creationTimestamp: r.createdAt.toISOString(),
    },
    spec: r.spec,
  } as AnyResource;
}
