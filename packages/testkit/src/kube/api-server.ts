import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { getRecord, getString, isRecord, type JsonObject } from './json-value.js';
import type { KubeApi, ListOptions, PatchType, WriteOptions } from './kube-api.js';
import { KubeStatusError } from './kube-status.js';
import { mediaType, parseDocument, readBody } from './request-body.js';
import { parseApiPath, type ResourcePath } from './request-path.js';
import type { ResourceRegistry, ResourceType } from './resource-registry.js';
import type { WatchHub } from './watch-hub.js';

export interface ApiServerOptions {
  /** Requests must carry `Authorization: Bearer <token>` when set. */
  readonly token: string | undefined;
  readonly maxBodyBytes: number;
  /** `127.0.0.1:<port>`, for `/api`'s serverAddressByClientCIDRs. */
  readonly serverAddress: () => string;
}

/** A one-shot (or `times`-shot) failure for requests whose method and path match. */
export interface InjectedFailure {
  readonly method: string;
  readonly path: RegExp;
  readonly status: number;
  readonly message: string | undefined;
  remaining: number;
}

export interface RequestRecord {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly contentType: string | undefined;
  readonly status: number;
}

const PATCH_TYPES: Readonly<Record<string, PatchType>> = Object.freeze({
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
});
const REQUEST_LOG_LIMIT = 2000;

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

function sendError(res: ServerResponse, err: unknown): void {
  const error =
    err instanceof KubeStatusError
      ? err
      : KubeStatusError.internal(err instanceof Error ? err.message : String(err));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.code === 429) res.setHeader('Retry-After', '1');
  sendJson(res, error.code, error.status);
}

function integerParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?[0-9]+$/.test(raw)) throw KubeStatusError.badRequest(`invalid value for ${name}: ${raw}`);
  return Number(raw);
}

/** HTTP in front of `KubeApi` and `WatchHub`: routing, bodies, media types, auth, fault injection. */
export class ApiServer {
  readonly #registry: ResourceRegistry;
  readonly #api: KubeApi;
  readonly #hub: WatchHub;
  readonly #options: ApiServerOptions;
  readonly failures: InjectedFailure[] = [];
  readonly requests: RequestRecord[] = [];

  constructor(registry: ResourceRegistry, api: KubeApi, hub: WatchHub, options: ApiServerOptions) {
    this.#registry = registry;
    this.#api = api;
    this.#hub = hub;
    this.#options = options;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake-kube');
    res.on('finish', () => this.#record(req, method, res.statusCode));
    try {
      const path = parseApiPath(
        url.pathname,
        (apiVersion, plural) => this.#registry.lookup(apiVersion, plural)?.namespaced === true,
      );
      if (path?.kind === 'health') {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        return;
      }
      this.#authenticate(req, path?.kind === 'version');
      this.#injectedFailure(method, url);
      if (path === undefined) throw KubeStatusError.routeNotFound();
      if (path.kind === 'resource') {
        await this.#resource(req, res, method, path, url.searchParams);
        return;
      }
      if (method !== 'GET') throw KubeStatusError.methodNotAllowed();
      sendJson(res, 200, this.#discovery(path));
    } catch (err) {
      sendError(res, err);
    }
  }

  #record(req: IncomingMessage, method: string, status: number): void {
    if (this.requests.length >= REQUEST_LOG_LIMIT)
      this.requests.splice(0, this.requests.length - REQUEST_LOG_LIMIT + 1);
    this.requests.push({ method, url: req.url ?? '/', contentType: req.headers['content-type'], status });
  }

  #authenticate(req: IncomingMessage, anonymousAllowed: boolean): void {
    if (this.#options.token === undefined || anonymousAllowed) return;
    // A client certificate the server's CA verified (HTTPS only) authenticates as the token does.
    if ((req.socket as Partial<TLSSocket>).authorized === true) return;
    if (req.headers.authorization !== `Bearer ${this.#options.token}`) throw KubeStatusError.unauthorized();
  }

  #injectedFailure(method: string, url: URL): void {
    const index = this.failures.findIndex(
      (f) => (f.method === '*' || f.method === method) && f.path.test(url.pathname + url.search),
    );
    const failure = this.failures[index];
    if (failure === undefined) return;
    failure.remaining--;
    if (failure.remaining <= 0) this.failures.splice(index, 1);
    throw KubeStatusError.fromCode(failure.status, failure.message);
  }

  #discovery(path: Exclude<ReturnType<typeof parseApiPath>, undefined>): JsonObject {
    switch (path.kind) {
      case 'version':
        return {
          major: '1',
          minor: '31',
          gitVersion: 'v1.31.0-hubpo-fake',
          platform: `${process.platform}/${process.arch}`,
        };
      case 'core-versions':
        return this.#registry.coreVersions(this.#options.serverAddress());
      case 'groups':
        return this.#registry.groupList();
      case 'group':
        return this.#registry.group(path.group) ?? this.#notFound();
      case 'resources':
        return this.#registry.resourceList(path.apiVersion) ?? this.#notFound();
      default:
        return this.#notFound();
    }
  }

  #notFound(): never {
    throw KubeStatusError.routeNotFound();
  }

  #writeOptions(req: IncomingMessage, query: URLSearchParams, subresource: string | undefined): WriteOptions {
    const dryRun = query.getAll('dryRun');
    if (dryRun.some((d) => d !== 'All'))
      throw KubeStatusError.badRequest(`Unsupported value for dryRun: ${dryRun.join(',')}`);
    const manager =
      query.get('fieldManager') ?? ((req.headers['user-agent'] ?? '').split('/')[0] || 'unknown');
    if (manager.length > 128)
      throw KubeStatusError.badRequest('fieldManager should be less than or equal to 128 characters');
    return {
      manager,
      dryRun: dryRun.length > 0,
      ...(subresource === 'status' ? { subresource: 'status' as const } : {}),
    };
  }

  #listOptions(query: URLSearchParams, name: string | undefined): ListOptions {
    const fieldSelectors = [query.get('fieldSelector'), name === undefined ? null : `metadata.name=${name}`];
    const fieldSelector = fieldSelectors.filter((s): s is string => s !== null && s !== '').join(',');
    return {
      labelSelector: query.get('labelSelector') ?? undefined,
      fieldSelector: fieldSelector === '' ? undefined : fieldSelector,
      limit: integerParam(query, 'limit'),
      continueToken: query.get('continue') ?? undefined,
    };
  }

  async #resource(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: ResourcePath,
    query: URLSearchParams,
  ) {
    const type = this.#registry.lookup(path.apiVersion, path.plural);
    if (type === undefined) throw KubeStatusError.routeNotFound();
    if (path.subresource !== undefined && !(path.subresource === 'status' && type.statusSubresource)) {
      throw KubeStatusError.routeNotFound();
    }
    const { namespace, name } = path;
    if (path.watchPrefix || (method === 'GET' && name === undefined && isTrue(query.get('watch')))) {
      if (method !== 'GET' || path.subresource !== undefined) throw KubeStatusError.methodNotAllowed();
      this.#watch(res, type, namespace, this.#listOptions(query, name), query);
      return;
    }
    if (method === 'GET') {
      sendJson(
        res,
        200,
        name === undefined ? this.#list(type, namespace, query) : this.#api.get(type, namespace, name),
      );
      return;
    }
    const body = await readBody(req, this.#options.maxBodyBytes);
    const options = this.#writeOptions(req, query, path.subresource);
    const collection = name === undefined && (!type.namespaced || namespace !== undefined);
    if (method === 'POST' && collection) {
      sendJson(res, 201, this.#api.create(type, namespace, parseDocument(body, mediaType(req)), options));
    } else if (method === 'PUT' && name !== undefined) {
      sendJson(
        res,
        200,
        this.#api.update(type, namespace, name, parseDocument(body, mediaType(req)), options),
      );
    } else if (method === 'PATCH' && name !== undefined) {
      const { object, created } = this.#patch(req, type, namespace, name, body, query, options);
      sendJson(res, created ? 201 : 200, object);
    } else if (method === 'DELETE' && name !== undefined && path.subresource === undefined) {
      const result = this.#api.delete(type, namespace, name, this.#deleteOptions(body, options));
      sendJson(res, 200, result.finished ? result.status : result.object);
    } else if (method === 'DELETE' && collection) {
      const items = this.#api.deleteCollection(type, namespace, {
        ...this.#listOptions(query, undefined),
        ...this.#deleteOptions(body, options),
      });
      sendJson(res, 200, { apiVersion: type.apiVersion, kind: type.listKind, metadata: {}, items });
    } else {
      throw KubeStatusError.methodNotAllowed();
    }
  }

  #list(type: ResourceType, namespace: string | undefined, query: URLSearchParams): JsonObject {
    const result = this.#api.list(type, namespace, this.#listOptions(query, undefined));
    const metadata: JsonObject = { resourceVersion: result.resourceVersion };
    if (result.continueToken !== undefined) metadata['continue'] = result.continueToken;
    if (result.remainingItemCount !== undefined) metadata['remainingItemCount'] = result.remainingItemCount;
    return { apiVersion: type.apiVersion, kind: type.listKind, metadata, items: result.items };
  }

  #watch(
    res: ServerResponse,
    type: ResourceType,
    namespace: string | undefined,
    list: ListOptions,
    query: URLSearchParams,
  ): void {
    this.#hub.open(res, {
      type,
      namespace,
      matches: this.#api.matcher(type, namespace, list),
      resourceVersion: query.get('resourceVersion') ?? undefined,
      allowBookmarks: isTrue(query.get('allowWatchBookmarks')),
      timeoutSeconds: integerParam(query, 'timeoutSeconds'),
      sendInitialEvents: isTrue(query.get('sendInitialEvents')),
    });
  }

  #patch(
    req: IncomingMessage,
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: Buffer,
    query: URLSearchParams,
    options: WriteOptions,
  ) {
    const contentType = mediaType(req);
    const patchType = PATCH_TYPES[contentType];
    if (patchType === undefined || (patchType === 'strategic' && !type.builtIn)) {
      // Custom resources do not support strategic merge patch on a real cluster either.
      const accepted = Object.keys(PATCH_TYPES).filter((t) => type.builtIn || PATCH_TYPES[t] !== 'strategic');
      throw KubeStatusError.unsupportedMediaType(contentType, accepted);
    }
    const force = query.get('force');
    if (force !== null && patchType !== 'apply')
      throw KubeStatusError.badRequest('force is only allowed for apply patches');
    if (patchType === 'apply' && !query.get('fieldManager')) {
      throw KubeStatusError.badRequest(
        'PATCH requests with an apply patch type need a fieldManager: fieldManager is required for apply requests',
      );
    }
    const patch = parseDocument(body, patchType === 'apply' ? 'application/yaml' : 'application/json');
    return this.#api.patch(type, namespace, name, patchType, patch, { ...options, force: isTrue(force) });
  }

  #deleteOptions(body: Buffer, write: WriteOptions) {
    const options = body.length > 0 ? parseDocument(body, 'application/json') : {};
    const preconditions = isRecord(options) ? getRecord(options, 'preconditions') : undefined;
    const uid = getString(preconditions, 'uid');
    const resourceVersion = getString(preconditions, 'resourceVersion');
    const bodyDryRun =
      isRecord(options) && Array.isArray(options['dryRun']) && options['dryRun'].includes('All');
    return {
      preconditions: {
        ...(uid === undefined ? {} : { uid }),
        ...(resourceVersion === undefined ? {} : { resourceVersion }),
      },
      dryRun: write.dryRun === true || bodyDryRun,
    };
  }
}
