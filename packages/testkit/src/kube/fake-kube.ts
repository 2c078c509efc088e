import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer, type RequestRecord } from './api-server.js';
import { getRecord, getString, isRecord } from './json-value.js';
import { KubeApi, type ListOptions } from './kube-api.js';
import { KubeStatusError } from './kube-status.js';
import { renderKubeconfig } from './kubeconfig.js';
import { ObjectStore } from './object-store.js';
import { DEFAULT_MAX_BODY_BYTES } from './request-body.js';
import {
  CRD_GROUP,
  CRD_PLURAL,
  crdFromRegistration,
  crdVersion,
  ResourceRegistry,
  type CrdRegistration,
  type ResourceType,
} from './resource-registry.js';
import { WatchHub } from './watch-hub.js';

export interface FakeKubeOptions {
  /** When set, every API request must carry `Authorization: Bearer <token>` (else 401). */
  readonly token?: string;
  /** Interval of BOOKMARK events on watches with `allowWatchBookmarks=true` (default 1000). */
  readonly bookmarkIntervalMs?: number;
  /** Changes kept for watch replay; older resourceVersions get 410 Gone (default 10000). */
  readonly historyLimit?: number;
  /** Namespaces to create at start, besides `default`. */
  readonly namespaces?: readonly string[];
  /** Custom resources to register at start. */
  readonly crds?: readonly CrdRegistration[];
  /** Largest accepted request body (default 3 MiB, as the real server); larger ones get 413. */
  readonly maxBodyBytes?: number;
  /**
   * Serve HTTPS (as a real API server does) with this certificate and key (PEM), issued by `ca`.
   * Client certificates issued by `ca` authenticate a request as `token` does. The kubeconfig then
   * carries `certificate-authority-data` instead of skipping verification.
   */
  readonly tls?: FakeKubeTls;
}

export interface FakeKubeTls {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** What `apply` needs of an object (any typed Kubernetes object fits). */
export interface KubeObjectLike {
  readonly apiVersion?: string | undefined;
  readonly kind?: string | undefined;
  readonly metadata?:
    { readonly name?: string | undefined; readonly namespace?: string | undefined } | undefined;
}

export interface FailNextOptions {
  /** How many matching requests fail (default 1). */
  readonly times?: number;
  readonly message?: string;
}

const DIRECT_MANAGER = 'hubpo-fake-kube';

/**
 * A fake Kubernetes API server on 127.0.0.1 (plain HTTP, or HTTPS with `tls`; JSON) for operator tests. See README.md
 * beside this file for what it implements and where it knowingly differs from a real cluster.
 */
export class FakeKube {
  readonly url: string;
  /** A kubeconfig file pointing at this server (removed by `stop()`). */
  readonly kubeconfigPath: string;
  readonly #server: Server | TlsServer;
  readonly #registry: ResourceRegistry;
  readonly #store: ObjectStore;
  readonly #api: KubeApi;
  readonly #hub: WatchHub;
  readonly #http: ApiServer;
  readonly #token: string;
  readonly #tempDir: string;
  readonly #ca: string | undefined;
  #stopped = false;

  /** @internal use `startFakeKube()`. */
  constructor(parts: {
    server: Server | TlsServer;
    ca?: string | undefined;
    registry: ResourceRegistry;
    store: ObjectStore;
    api: KubeApi;
    hub: WatchHub;
    http: ApiServer;
    url: string;
    token: string;
    tempDir: string;
  }) {
    this.#server = parts.server;
    this.#registry = parts.registry;
    this.#store = parts.store;
    this.#api = parts.api;
    this.#hub = parts.hub;
    this.#http = parts.http;
    this.url = parts.url;
    this.#token = parts.token;
    this.#tempDir = parts.tempDir;
    this.#ca = parts.ca;
    this.kubeconfigPath = join(parts.tempDir, 'kubeconfig');
  }

  /** The current (latest) resourceVersion. */
  get resourceVersion(): string {
    return String(this.#store.revision);
  }

  /** Every request served so far (method, path and query, status), oldest first; the last 2000 are kept. */
  get requests(): readonly RequestRecord[] {
    return this.#http.requests;
  }

  kubeconfig(namespace = 'default'): string {
    return renderKubeconfig({
      server: this.url,
      token: this.#token,
      namespace,
      ...(this.#ca === undefined ? {} : { certificateAuthority: this.#ca }),
    });
  }

  /** Registers (or adds a version to) a custom resource, as applying its CRD would. */
  registerCrd(registration: CrdRegistration): void {
    const crdType = this.#crdType();
    const name = `${registration.plural}.${registration.group}`;
    const existing = this.#store.get(crdType.storageKey, undefined, name);
    if (!existing) {
      this.#api.create(crdType, undefined, crdFromRegistration(registration), {
        manager: DIRECT_MANAGER,
        direct: true,
      });
      return;
    }
    const spec = getRecord(existing, 'spec') ?? {};
    const versions = (Array.isArray(spec['versions']) ? spec['versions'] : []).filter(isRecord);
    const others = versions.filter((v) => v['name'] !== registration.version);
    const version = {
      ...crdVersion(registration),
      storage:
        others.length === 0 ||
        versions.some((v) => v['name'] === registration.version && v['storage'] === true),
    };
    const updated = crdFromRegistration(registration);
    updated['spec'] = { ...(getRecord(updated, 'spec') ?? {}), versions: [...others, version] };
    updated['status'] = existing['status'];
    this.#api.update(crdType, undefined, name, updated, { manager: DIRECT_MANAGER, direct: true });
  }

  /** One object, or undefined. `kind` may be the kind, plural, singular or a short name. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    try {
      return this.#api.get(this.#type(apiVersion, kind), namespace, name) as KubeObject;
    } catch (err) {
      if (err instanceof KubeStatusError && err.code === 404) return undefined;
      throw err;
    }
  }

  /** Objects of a type (all namespaces when `namespace` is undefined), in key order. */
  list(
    apiVersion: string,
    kind: string,
    namespace?: string,
    options: Pick<ListOptions, 'labelSelector' | 'fieldSelector'> = {},
  ): KubeObject[] {
    const type = this.#type(apiVersion, kind);
    return this.#api
      .list(type, namespace, options)
      .items.map((item) => ({ apiVersion: type.apiVersion, kind: type.kind, ...item }) as KubeObject);
  }

  /**
   * Creates or replaces an object without HTTP and without preconditions, `status` included, with the
   * usual watch events, generation and finalizer rules. The namespace must exist.
   */
  apply<T extends KubeObjectLike>(object: T): KubeObject {
    const type = this.#type(String(object.apiVersion ?? ''), String(object.kind ?? ''));
    const meta: Record<string, unknown> = isRecord(object.metadata) ? object.metadata : {};
    const name = getString(meta, 'name') ?? '';
    const namespace = type.namespaced ? (getString(meta, 'namespace') ?? 'default') : undefined;
    const options = { manager: DIRECT_MANAGER, direct: true };
    const existing = name === '' ? undefined : this.#store.get(type.storageKey, namespace, name);
    if (!existing) return this.#api.create(type, namespace, object, options) as KubeObject;
    return this.#api.update(type, namespace, name, object, options) as KubeObject;
  }

  /** Deletes as a DELETE request would (objects with finalizers are only marked). False when absent. */
  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean {
    try {
      this.#api.delete(this.#type(apiVersion, kind), namespace, name);
      return true;
    } catch (err) {
      if (err instanceof KubeStatusError && err.code === 404) return false;
      throw err;
    }
  }

  /** Ends every open watch: abruptly (socket destroyed, the default) or cleanly (`graceful`). */
  breakWatches(options: { readonly graceful?: boolean } = {}): void {
    this.#hub.breakAll(options.graceful === true);
  }

  /** Drops the change history: watches and list continuations from any older resourceVersion get 410. */
  compactHistory(): void {
    this.#store.compact();
  }

  /** For `ms`, watches stay open but send nothing (no events, no bookmarks); held events follow after. */
  stallWatches(ms: number): void {
    this.#hub.stall(ms);
  }

  /**
   * The next request with this method (`'*'` for any) whose path and query match `path` fails with
   * `status` and a Status body with the matching reason (one-shot unless `times`).
   */
  failNext(method: string, path: RegExp, status: number, options: FailNextOptions = {}): void {
    this.#http.failures.push({
      method: method.toUpperCase(),
      path,
      status,
      message: options.message,
      remaining: options.times ?? 1,
    });
  }

  /** Open watch connections, optionally only those on one resource (plural). */
  watchCount(plural?: string): number {
    return this.#hub.count(plural);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#hub.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await rm(this.#tempDir, { recursive: true, force: true });
  }

  #crdType(): ResourceType {
    return this.#type(`${CRD_GROUP}/v1`, CRD_PLURAL);
  }

  #type(apiVersion: string, kind: string): ResourceType {
    const type = this.#registry.resolve(apiVersion, kind);
    if (!type)
      throw new KubeStatusError(
        404,
        'NotFound',
        `the server doesn't have a resource type "${kind}" in ${apiVersion}`,
      );
    return type;
  }
}

/** Starts a fake API server on 127.0.0.1 and a free port, with the `default` namespace. */
export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const registry = new ResourceRegistry();
  const store = new ObjectStore(options.historyLimit ?? 10_000);
  const hub = new WatchHub(store, {
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
    currentObjects: (request) =>
      store
        .list(request.type.storageKey, request.type.namespaced ? request.namespace : undefined)
        .filter(request.matches),
  });
  const api = new KubeApi(registry, store, { onStoragesRemoved: (keys) => hub.endStorages(keys) });
  let address = '';
  const token = options.token ?? 'hubpo-fake-token';
  const http = new ApiServer(registry, api, hub, {
    token: options.token,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    serverAddress: () => address,
  });
  const tls = options.tls;
  const server =
    tls === undefined
      ? createServer((req, res) => void http.handle(req, res))
      : createTlsServer(
          // Client certificates are asked for but optional: a token authenticates too.
          { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: false },
          (req, res) => void http.handle(req, res),
        );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tempDir = await mkdtemp(join(tmpdir(), 'hubpo-fake-kube-'));
  const fake = new FakeKube({
    server,
    registry,
    store,
    api,
    hub,
    http,
    url: `${tls === undefined ? 'http' : 'https'}://${address}`,
    token,
    tempDir,
    ca: tls?.ca,
  });
  await writeFile(fake.kubeconfigPath, fake.kubeconfig(), { mode: 0o600 });
  const namespaceType = registry.lookup('v1', 'namespaces') as ResourceType;
  for (const namespace of new Set(['default', ...(options.namespaces ?? [])])) {
    api.create(
      namespaceType,
      undefined,
      { metadata: { name: namespace } },
      { manager: DIRECT_MANAGER, direct: true },
    );
  }
  for (const crd of options.crds ?? []) fake.registerCrd(crd);
  return fake;
}
