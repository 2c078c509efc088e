import { Router } from 'express';
import type { Request, Response } from 'express';
import { API_VERSION, KINDS, NAME_PATTERN, kindByPlural } from '@hubpo/api';
import type { KindName } from '@hubpo/api';
import { HubpoError } from '@hubpo/core';
import { decodeContinueToken, encodeContinueToken, queryFingerprint } from '../store/continue-token.js';
import { parseLabelSelector } from '../store/label-selector.js';
import type { Preconditions, ResourceKey, ResourceStore, StoredResource } from '../store/resource-store.js';
import { applyMergePatch, isPlainObject } from './merge-patch.js';
import { patchBase, prepareWrite, toApiObject, validationError } from './resource-codec.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const NAME = new RegExp(NAME_PATTERN);

/**
 * CRUD for every kind under `/api/v1`: `/namespaces/:ns/:plural[/:name[/status]]` and the
 * all-namespaces list `/:plural`. Mount after the fixed paths (`/gateways`, ...), which would
 * otherwise read as plurals.
 */
export function resourceRouter(store: ResourceStore): Router {
  const router = Router();

  router.get('/namespaces/:ns/:plural', async (req, res) => {
    const kind = kindOf(req);
    await sendList(req, res, store, kind, namespaceOf(req));
  });

  router.post('/namespaces/:ns/:plural', async (req, res) => {
    const kind = kindOf(req);
    const namespace = namespaceOf(req);
    const write = prepareWrite(kind, req.body, { namespace });
    const { resource } = await store.create(kind, namespace, write.name, write.input, null);
    res.status(201).location(itemPath(resource));
    sendObject(res, resource);
  });

  router.get('/namespaces/:ns/:plural/:name', async (req, res) => {
    sendObject(res, await store.get(keyOf(req)));
  });

  router.get('/namespaces/:ns/:plural/:name/status', async (req, res) => {
    const r = await store.get(keyOf(req));
    res.setHeader('ETag', etag(r));
    res.json({
      apiVersion: API_VERSION,
      kind: r.kind,
      metadata: {
        name: r.name,
        namespace: r.namespace,
        generation: r.generation,
        resourceVersion: String(r.resourceVersion),
      },
      status: r.status,
    });
  });

  router.put('/namespaces/:ns/:plural/:name', async (req, res) => {
    const key = keyOf(req);
    const write = prepareWrite(key.kind, req.body, { namespace: key.namespace, name: key.name });
    const preconditions: Preconditions = {
      ...ifMatchOf(req),
      ...(write.resourceVersion === undefined ? {} : { resourceVersion: write.resourceVersion }),
    };
    const { resource } = await store.update(key, preconditions, () => write.input);
    sendObject(res, resource);
  });

  router.patch('/namespaces/:ns/:plural/:name', async (req, res) => {
    const key = keyOf(req);
    const patch: unknown = req.body;
    if (!isPlainObject(patch))
      throw validationError([{ path: '/', message: 'a merge patch must be a JSON object' }]);
    const patchedVersion = isPlainObject(patch['metadata'])
      ? patch['metadata']['resourceVersion']
      : undefined;
    const { resource } = await store.update(key, ifMatchOf(req), (current: StoredResource) => {
      const merged = applyMergePatch(patchBase(current), patch);
      const write = prepareWrite(key.kind, merged, { namespace: key.namespace, name: key.name });
      if (patchedVersion !== undefined && write.resourceVersion !== current.resourceVersion) {
        throw new HubpoError(
          'CONFLICT',
          `the object was modified: it is at resourceVersion ${current.resourceVersion}`,
          {
            issues: [{ path: '/metadata/resourceVersion', message: 'not the current resourceVersion' }],
          },
        );
      }
      return write.input;
    });
    sendObject(res, resource);
  });

  router.delete('/namespaces/:ns/:plural/:name', async (req, res) => {
    const { resource } = await store.delete(keyOf(req), ifMatchOf(req));
    sendObject(res, resource);
  });

  router.get('/:plural', async (req, res) => {
    await sendList(req, res, store, kindOf(req), undefined);
  });

  return router;
}

async function sendList(
  req: Request,
  res: Response,
  store: ResourceStore,
  kind: KindName,
  namespace: string | undefined,
): Promise<void> {
  const limit = limitOf(req);
  const selectorText = queryString(req, 'labelSelector') ?? '';
  const selector = parseLabelSelector(selectorText);
  const fingerprint = queryFingerprint([kind, namespace ?? '*', selectorText]);
  const token = queryString(req, 'continue');
  const after = token === undefined || token === '' ? undefined : decodeContinueToken(token, fingerprint);
  const page = await store.list({
    kind,
    limit,
    selector,
    ...(namespace === undefined ? {} : { namespace }),
    ...(after === undefined ? {} : { after }),
  });
  res.json({
    apiVersion: API_VERSION,
    kind: `${kind}List`,
    metadata: {
      resourceVersion: String(page.revision),
      ...(page.next === undefined ? {} : { continue: encodeContinueToken(page.next, fingerprint) }),
    },
    items: page.items.map(toApiObject),
  });
}

function sendObject(res: Response, r: StoredResource): void {
  res.setHeader('ETag', etag(r));
  res.json(toApiObject(r));
}

function etag(r: StoredResource): string {
  return `"${r.resourceVersion}"`;
}

function itemPath(r: StoredResource): string {
  return `/api/v1/namespaces/${r.namespace}/${KINDS[r.kind].plural}/${r.name}`;
}

function kindOf(req: Request): KindName {
  const plural = param(req, 'plural');
  const kind = kindByPlural(plural);
  if (kind === undefined) throw new HubpoError('NOT_FOUND', `no resource type "${plural}"`);
  return kind;
}

function namespaceOf(req: Request): string {
  const ns = param(req, 'ns');
  if (!NAME.test(ns) || ns.length > 63) {
    throw new HubpoError('BAD_REQUEST', `"${ns}" is not a valid namespace`, {
      issues: [{ path: 'namespace', message: 'a lowercase RFC 1123 label of at most 63 characters' }],
    });
  }
  return ns;
}

function keyOf(req: Request): ResourceKey {
  return { kind: kindOf(req), namespace: namespaceOf(req), name: param(req, 'name') };
}

function param(req: Request, name: string): string {
  const value: unknown = req.params[name];
  return typeof value === 'string' ? value : '';
}

function queryString(req: Request, name: string): string | undefined {
  const value: unknown = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new HubpoError('BAD_REQUEST', `query parameter ${name} must be given once`, {
      issues: [{ path: name, message: 'given more than once' }],
    });
  }
  return value;
}

function limitOf(req: Request): number {
  const raw = queryString(req, 'limit');
  if (raw === undefined || raw === '') return DEFAULT_LIMIT;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new HubpoError('BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_LIMIT}`, {
      issues: [{ path: 'limit', message: `from 1 to ${MAX_LIMIT}` }],
    });
  }
  return limit;
}

/** `If-Match: "<resourceVersion>"` (a weak tag never matches; `*` only needs the object to exist). */
function ifMatchOf(req: Request): Preconditions {
  const header = req.headers['if-match'];
  if (header === undefined) return {};
  const value = header.trim();
  if (value === '*') return {};
  const match = /^"(\d{1,15})"$/.exec(value);
  // An unparsable tag can match no version: -1 makes the precondition fail with 412.
  return { ifMatch: match?.[1] === undefined ? -1 : Number(match[1]) };
}
