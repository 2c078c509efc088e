import { KIND_NAMES } from '@hubpo/api';
import type { KindName } from '@hubpo/api';
import { errorMessage, stableStringify } from '@hubpo/core';
import { ClusterSession } from './control-plane/cluster-session.js';
import type { ControlPlaneClient, RemoteStatus } from './control-plane/control-plane-client.js';
import { Informer } from './informer/informer.js';
import type { InformerEvent, InformerStats } from './informer/informer.js';
import type { KubeClient, KubeObject, ResourceType } from './kube/kube-client.js';
import { HUBPO_RESOURCES, NAMESPACES, SECRETS } from './kube/kube-resources.js';
import type { Logger } from './logger.js';
import type { OperatorConfig } from './operator-config.js';
import { WorkQueue } from './queue/work-queue.js';
import { DependencyIndex } from './reconcile/dependency-index.js';
import { EventRecorder } from './reconcile/event-recorder.js';
import { objectKey } from './reconcile/object-key.js';
import { Reconciler } from './reconcile/reconciler.js';
import { StatusBook } from './status/status-book.js';
import { StatusSync } from './status/status-sync.js';
import { StatusWriter } from './status/status-writer.js';

export interface LeaderSessionOptions {
  readonly config: OperatorConfig;
  readonly kube: KubeClient;
  readonly controlPlane: ControlPlaneClient;
  readonly logger: Logger;
}

/**
 * Everything only the leader runs, built when it starts leading and stopped when it stops:
 * registration and heartbeats, the informers, the reconcile and status work queues and the
 * status loop. Keys are queued only once every informer has synced, so a reconcile never takes a
 * half-filled cache for the truth (an object missing from it would be deleted).
 */
export class LeaderSession {
  readonly #o: LeaderSessionOptions;
  readonly #log: Logger;
  readonly #session: ClusterSession;
  readonly #informers: Readonly<Record<KindName, Informer>>;
  readonly #secrets: Informer;
  readonly #namespaces: Informer;
  readonly #queue: WorkQueue;
  readonly #statusQueue: WorkQueue;
  readonly #index = new DependencyIndex();
  readonly #book = new StatusBook();
  readonly #statusSync: StatusSync;
  #synced = false;
  #stopped = false;
  #resync: NodeJS.Timeout | undefined;
  #startup: Promise<void> | undefined;

  constructor(options: LeaderSessionOptions) {
    this.#o = options;
    const { config, kube, controlPlane } = options;
    this.#log = options.logger.child({ cluster: config.cluster });
    this.#session = new ClusterSession({
      client: controlPlane,
      bootstrapToken: config.bootstrapToken,
      registration: {
        name: config.cluster,
        ...(config.cloud === undefined ? {} : { cloud: config.cloud }),
        ...(config.region === undefined ? {} : { region: config.region }),
        labels: config.clusterLabels,
        operator: { pod: config.identity },
      },
      heartbeatMs: config.heartbeatMs,
      backoffInitialMs: config.backoffInitialMs,
      backoffMaxMs: config.backoffMaxMs,
      logger: this.#log,
    });
    this.#informers = Object.fromEntries(
      KIND_NAMES.map((kind) => [kind, this.#informer(HUBPO_RESOURCES[kind], config.watchNamespaces, slim)]),
    ) as Record<KindName, Informer>;
    this.#secrets = this.#informer(SECRETS, config.watchNamespaces, slim);
    this.#namespaces = this.#informer(NAMESPACES, undefined, metadataOnly, true);
    const queueOptions = {
      concurrency: config.concurrency,
      backoffInitialMs: config.backoffInitialMs,
      backoffMaxMs: config.backoffMaxMs,
      ratePerSecond: config.ratePerSecond,
      burst: config.burst,
    };
    const reconciler = new Reconciler({
      kube,
      controlPlane,
      session: this.#session,
      informers: this.#informers,
      secrets: this.#secrets,
      namespaces: this.#namespaces,
      book: this.#book,
      index: this.#index,
      events: new EventRecorder(kube, this.#log),
      statusChanged: (key) => this.#statusQueue.add(key),
      watchNamespaces: config.watchNamespaces,
      logger: this.#log,
    });
    this.#queue = new WorkQueue({
      name: 'reconcile',
      ...queueOptions,
      handler: (key) => reconciler.reconcile(key),
      onError: (key, err, retryMs) =>
        this.#log.warn(
          { object: key, err: errorMessage(err), retryMs },
          retryMs === undefined
            ? 'reconcile failed; not retried until the object changes'
            : 'reconcile failed; retrying',
        ),
    });
    const writer = new StatusWriter(kube, this.#informers, this.#book);
    this.#statusQueue = new WorkQueue({
      name: 'status',
      ...queueOptions,
      handler: (key) => writer.write(key),
      onError: (key, err, retryMs) =>
        this.#log.warn({ object: key, err: errorMessage(err), retryMs }, 'status write failed'),
    });
    this.#statusSync = new StatusSync({
      controlPlane,
      session: this.#session,
      book: this.#book,
      waitSeconds: config.statusWaitSeconds,
      backoffInitialMs: config.backoffInitialMs,
      backoffMaxMs: config.backoffMaxMs,
      logger: this.#log,
      statusChanged: (key) => this.#statusQueue.add(key),
      onFullList: (items) => this.#dropOrphans(items),
    });
    this.#wire();
  }

  /** Counters of each informer, by resource plural (`routes`, `secrets`, ...). */
  stats(): Record<string, InformerStats> {
    return Object.fromEntries(this.#all().map((i) => [i.resource.plural, { ...i.stats }]));
  }

  /** Registered with the control plane and every cache synced. */
  get ready(): boolean {
    return this.#synced && this.#session.registered;
  }

  get reasons(): string[] {
    return [
      ...(this.#session.registered ? [] : ['not registered with the control plane']),
      ...(this.#synced ? [] : ['caches not synced']),
    ];
  }

  /** Starts everything in the background (registration retries until it works). */
  start(): void {
    this.#startup ??= this.#run().catch((err: unknown) => {
      if (!this.#stopped) this.#log.error({ err: errorMessage(err) }, 'leader startup failed');
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#resync !== undefined) clearInterval(this.#resync);
    await this.#statusSync.stop();
    await Promise.all([this.#queue.stop(), this.#statusQueue.stop()]);
    await Promise.all([...this.#all().map((i) => i.stop())]);
    await this.#session.stop();
    await this.#startup;
  }

  async #run(): Promise<void> {
    for (const informer of this.#all()) informer.start();
    const registered = this.#session.start();
    await Promise.all(this.#all().map((i) => i.waitForSync()));
    if (this.#stopped) return;
    this.#synced = true;
    this.#log.info('caches synced; reconciling');
    this.#enqueueAll();
    this.#statusSync.start();
    if (this.#o.config.resyncMs > 0) {
      this.#resync = setInterval(() => this.#enqueueAll(), this.#o.config.resyncMs);
      this.#resync.unref();
    }
    await registered;
  }

  #all(): Informer[] {
    return [...Object.values(this.#informers), this.#secrets, this.#namespaces];
  }

  #informer(
    resource: ResourceType,
    namespaces: readonly string[] | undefined,
    transform: (o: KubeObject) => KubeObject,
    optional = false,
  ): Informer {
    const { config, kube } = this.#o;
    return new Informer({
      client: kube,
      resource,
      namespaces,
      watchdogMs: config.watchdogMs,
      watchTimeoutSeconds: config.watchTimeoutSeconds,
      backoffInitialMs: config.backoffInitialMs,
      backoffMaxMs: config.backoffMaxMs,
      logger: this.#log,
      transform,
      optional,
    });
  }

  #wire(): void {
    for (const kind of KIND_NAMES) {
      this.#informers[kind].onEvent((e) => {
        if (!this.#synced) return;
        const { namespace = 'default', name } = e.object.metadata;
        const key = objectKey(kind, namespace, name);
        if (e.type !== 'updated' || specOrMetaChanged(e.old, e.object)) this.#queue.add(key);
        else this.#statusQueue.add(key);
        this.#dependents(`${kind}:${namespace}/${name}`, e);
      });
    }
    this.#secrets.onEvent((e) => {
      if (
        e.type !== 'updated' ||
        stableStringify(e.old?.data) !== stableStringify(e.object.data) ||
        annotationsChanged(e)
      ) {
        this.#dependents(`Secret:${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`);
      }
    });
    this.#namespaces.onEvent((e) => {
      if (e.type !== 'updated' || annotationsChanged(e))
        this.#dependents(`Namespace:${e.object.metadata.name}`);
    });
  }

  #dependents(dependency: string, event?: InformerEvent): void {
    if (!this.#synced || (event?.type === 'updated' && !annotationsChanged(event))) return;
    for (const key of this.#index.dependents(dependency)) this.#queue.add(key);
  }

  #enqueueAll(): void {
    for (const kind of KIND_NAMES) {
      for (const object of this.#informers[kind].cache.list()) {
        this.#queue.add(objectKey(kind, object.metadata.namespace ?? 'default', object.metadata.name));
      }
    }
  }

  /** Objects the control plane holds for this cluster but Kubernetes no longer has: delete them. */
  #dropOrphans(items: readonly RemoteStatus[]): void {
    const watched = this.#o.config.watchNamespaces;
    for (const item of items) {
      const informer = this.#informers[item.kind as KindName] as Informer | undefined;
      if (informer === undefined || (watched !== undefined && !watched.includes(item.namespace))) continue;
      if (informer.cache.get(item.namespace, item.name) === undefined) {
        this.#queue.add(objectKey(item.kind, item.namespace, item.name));
      }
    }
  }
}

function specOrMetaChanged(old: KubeObject | undefined, next: KubeObject): boolean {
  if (old === undefined) return true;
  const a = old.metadata;
  const b = next.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    stableStringify(a.labels ?? {}) !== stableStringify(b.labels ?? {}) ||
    stableStringify(a.annotations ?? {}) !== stableStringify(b.annotations ?? {}) ||
    stableStringify(a.finalizers ?? []) !== stableStringify(b.finalizers ?? [])
  );
}

function annotationsChanged(e: InformerEvent): boolean {
  return (
    stableStringify(e.old?.metadata.annotations ?? {}) !==
    stableStringify(e.object.metadata.annotations ?? {})
  );
}

/** What the operator caches of an object: no managed fields, no last-applied copy. */
function slim(object: KubeObject): KubeObject {
  const { managedFields: _managed, ...metadata } = object.metadata as KubeObject['metadata'] & {
    managedFields?: unknown;
  };
  const annotations = metadata.annotations;
  if (annotations !== undefined && 'kubectl.kubernetes.io/last-applied-configuration' in annotations) {
    const { 'kubectl.kubernetes.io/last-applied-configuration': _last, ...rest } = annotations;
    return { ...object, metadata: { ...metadata, annotations: rest } };
  }
  return { ...object, metadata };
}

function metadataOnly(object: KubeObject): KubeObject {
  const m = object.metadata;
  return {
    metadata: {
      name: m.name,
      ...(m.resourceVersion === undefined ? {} : { resourceVersion: m.resourceVersion }),
      ...(m.annotations === undefined ? {} : { annotations: m.annotations }),
    },
  };
}
