import { randomBytes } from 'node:crypto';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  V1MicroTime,
  Watch,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import { KubeApiError } from './kube-client.js';
import type {
  EventInput,
  KubeClient,
  KubeObject,
  LeaseRecord,
  ObjectList,
  ResourceType,
  WatchEvent,
  WatchOptions,
  WatchStream,
} from './kube-client.js';
import { collectionPath } from './kube-resources.js';

/** Where the API server and credentials come from: a kubeconfig's YAML, a file, or the default. */
export type KubeconfigSource = { readonly yaml: string } | { readonly path: string } | 'default';

const PAGE_SIZE = 500;
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Loads a kubeconfig. `default` is what kubectl would use: `KUBECONFIG`, then `~/.kube/config`,
 * then the in-cluster service account (token refreshed from its file by client-node).
 */
export function loadKubeConfig(source: KubeconfigSource): KubeConfig {
  const kc = new KubeConfig();
  if (source === 'default') kc.loadFromDefault();
  else if ('yaml' in source) kc.loadFromString(source.yaml);
  else kc.loadFromFile(source.path);
  return kc;
}

/** The operator's KubeClient on @kubernetes/client-node; `component` names the Event source. */
export function createKubeClient(source: KubeconfigSource, component = 'hubpo-operator'): KubeClient {
  return new ClientNodeKubeClient(loadKubeConfig(source), component);
}

class ClientNodeKubeClient implements KubeClient {
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #leases: CoordinationV1Api;
  readonly #watch: Watch;
  readonly #component: string;

  constructor(kc: KubeConfig, component: string) {
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#leases = kc.makeApiClient(CoordinationV1Api);
    this.#watch = new Watch(kc);
    this.#component = component;
  }

  async list(resource: ResourceType, namespace: string | undefined): Promise<ObjectList> {
    const items: KubeObject[] = [];
    let next: string | undefined;
    let resourceVersion = '';
    do {
      const page = await call(() => this.#page(resource, namespace, next));
      for (const item of page.items) items.push(item);
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      next = page.metadata?._continue ?? page.metadata?.continue;
      if (next === '') next = undefined;
    } while (next !== undefined);
    return { items, resourceVersion };
  }

  watch(
    resource: ResourceType,
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
  ): WatchStream {
    let controller: AbortController | undefined;
    let aborted = false;
    const done = new Promise<void>((resolve, reject) => {
      const params = {
        resourceVersion: options.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: options.timeoutSeconds,
      };
      const onLine = (type: string, object: unknown): void => {
        const event = watchEvent(type, object);
        if (event !== undefined && !aborted) onEvent(event);
      };
      const onDone = (err: unknown): void => {
        if (err === null || err === undefined || aborted) resolve();
        else reject(transportError(err));
      };
      this.#watch.watch(collectionPath(resource, namespace), params, onLine, onDone).then(
        (c) => {
          controller = c;
          if (aborted) c.abort();
        },
        (err: unknown) => reject(transportError(err)),
      );
    });
    return {
      done,
      abort: () => {
        aborted = true;
        controller?.abort();
      },
    };
  }

  async get(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    try {
      return await call(async () => {
        if (resource.group !== '') {
          return (await this.#custom.getNamespacedCustomObject({
            ...gvp(resource),
            namespace: namespace ?? '',
            name,
          })) as KubeObject;
        }
        if (resource.kind === 'Secret')
          return plain(await this.#core.readNamespacedSecret({ name, namespace: namespace ?? '' }));
        if (resource.kind === 'Namespace') return plain(await this.#core.readNamespace({ name }));
        throw new KubeApiError(0, '', `get of ${resource.kind} is not supported`);
      });
    } catch (err) {
      if (KubeApiError.is(err, 404)) return undefined;
      throw err;
    }
  }

  patchStatus(
    resource: ResourceType,
    namespace: string,
    name: string,
    status: Readonly<Record<string, unknown>>,
  ): Promise<KubeObject> {
    return call(
      async () =>
        (await this.#custom.patchNamespacedCustomObjectStatus(
          { ...gvp(resource), namespace, name, body: { status } },
          MERGE_PATCH,
        )) as KubeObject,
    );
  }

  patchFinalizers(
    resource: ResourceType,
    namespace: string,
    name: string,
    finalizers: readonly string[],
    resourceVersion: string,
  ): Promise<KubeObject> {
    // A merge patch carrying metadata.resourceVersion is conditional: 409 if the object moved on.
    const body = { metadata: { finalizers: [...finalizers], resourceVersion } };
    return call(
      async () =>
        (await this.#custom.patchNamespacedCustomObject(
          { ...gvp(resource), namespace, name, body },
          MERGE_PATCH,
        )) as KubeObject,
    );
  }

  async createEvent(event: EventInput): Promise<void> {
    const { resource, object } = event.involved;
    const namespace = object.metadata.namespace ?? 'default';
    const now = new Date();
    await call(() =>
      this.#core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${object.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: {
            apiVersion: resource.group === '' ? resource.version : `${resource.group}/${resource.version}`,
            kind: resource.kind,
            name: object.metadata.name,
            namespace,
            ...(object.metadata.uid === undefined ? {} : { uid: object.metadata.uid }),
            ...(object.metadata.resourceVersion === undefined
              ? {}
              : { resourceVersion: object.metadata.resourceVersion }),
          },
          type: event.type,
          reason: event.reason,
          message: event.message.slice(0, 1024),
          source: { component: this.#component },
          reportingComponent: this.#component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      }),
    );
  }

  async getLease(namespace: string, name: string): Promise<LeaseRecord | undefined> {
    try {
      return leaseRecord(await call(() => this.#leases.readNamespacedLease({ name, namespace })));
    } catch (err) {
      if (KubeApiError.is(err, 404)) return undefined;
      throw err;
    }
  }

  async createLease(namespace: string, name: string, lease: LeaseRecord): Promise<LeaseRecord> {
    return leaseRecord(
      await call(() =>
        this.#leases.createNamespacedLease({ namespace, body: v1Lease(namespace, name, lease) }),
      ),
    );
  }

  async updateLease(namespace: string, name: string, lease: LeaseRecord): Promise<LeaseRecord> {
    return leaseRecord(
      await call(() =>
        this.#leases.replaceNamespacedLease({ name, namespace, body: v1Lease(namespace, name, lease) }),
      ),
    );
  }

  async #page(
    resource: ResourceType,
    namespace: string | undefined,
    next: string | undefined,
  ): Promise<ListPage> {
    const paging = { limit: PAGE_SIZE, ...(next === undefined ? {} : { _continue: next }) };
    if (resource.group !== '') {
      const page: unknown =
        namespace === undefined
          ? await this.#custom.listClusterCustomObject({ ...gvp(resource), ...paging })
          : await this.#custom.listNamespacedCustomObject({ ...gvp(resource), namespace, ...paging });
      return page as ListPage;
    }
    if (resource.kind === 'Secret') {
      const list =
        namespace === undefined
          ? await this.#core.listSecretForAllNamespaces(paging)
          : await this.#core.listNamespacedSecret({ namespace, ...paging });
      return plain(list) as unknown as ListPage;
    }
    if (resource.kind === 'Namespace')
      return plain(await this.#core.listNamespace(paging)) as unknown as ListPage;
    throw new KubeApiError(0, '', `list of ${resource.kind} is not supported`);
  }
}

interface ListPage {
  readonly items: KubeObject[];
  readonly metadata?: {
    readonly resourceVersion?: string;
    readonly _continue?: string;
    readonly continue?: string;
  };
}

function gvp(resource: ResourceType): { group: string; version: string; plural: string } {
  return { group: resource.group, version: resource.version, plural: resource.plural };
}

/** Typed client-node models (Dates, classes) back to the JSON the API server sent. */
function plain(value: unknown): KubeObject {
  return JSON.parse(JSON.stringify(value)) as KubeObject;
}

function watchEvent(type: string, object: unknown): WatchEvent | undefined {
  const obj = object as KubeObject & { code?: number; reason?: string; message?: string };
  switch (type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
      return { type, object: obj };
    case 'BOOKMARK':
      return { type, resourceVersion: obj.metadata?.resourceVersion ?? '' };
    case 'ERROR':
      return {
        type,
        error: new KubeApiError(obj.code ?? 500, obj.reason ?? '', obj.message ?? 'watch failed'),
      };
    default:
      return undefined;
  }
}

/** Runs a client-node call, turning its ApiException (a Status body) into a KubeApiError. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw transportError(err);
  }
}

function transportError(err: unknown): KubeApiError {
  if (err instanceof KubeApiError) return err;
  if (err instanceof ApiException) {
    const status = parseStatus(err.body);
    return new KubeApiError(err.code, status.reason ?? '', status.message ?? `HTTP ${err.code}`, {
      cause: err,
    });
  }
  const code = (err as { statusCode?: unknown }).statusCode;
  const message = err instanceof Error ? err.message : String(err);
  return new KubeApiError(typeof code === 'number' ? code : 0, '', message, { cause: err });
}

function parseStatus(body: unknown): { reason?: string; message?: string } {
  try {
    const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as { reason?: string; message?: string })
      : {};
  } catch {
    return {};
  }
}

function leaseRecord(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    ...(spec.acquireTime === undefined ? {} : { acquireTime: new Date(spec.acquireTime) }),
    ...(spec.renewTime === undefined ? {} : { renewTime: new Date(spec.renewTime) }),
    leaseTransitions: spec.leaseTransitions ?? 0,
    ...(lease.metadata?.resourceVersion === undefined
      ? {}
      : { resourceVersion: lease.metadata.resourceVersion }),
  };
}

function v1Lease(namespace: string, name: string, lease: LeaseRecord): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace,
      ...(lease.resourceVersion === undefined ? {} : { resourceVersion: lease.resourceVersion }),
    },
    spec: {
      holderIdentity: lease.holderIdentity,
      leaseDurationSeconds: lease.leaseDurationSeconds,
      leaseTransitions: lease.leaseTransitions,
      ...(lease.acquireTime === undefined
        ? {}
        : { acquireTime: new V1MicroTime(lease.acquireTime.getTime()) }),
      ...(lease.renewTime === undefined ? {} : { renewTime: new V1MicroTime(lease.renewTime.getTime()) }),
    },
  };
}
