import express, { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import { NAME_PATTERN, kindByPlural } from '@hubpo/api';
import { HubpoError } from '@hubpo/core';
import type { FieldIssue } from '@hubpo/core';
import { MAX_BODY_BYTES } from '../admin/admin-app.js';
import { isPlainObject } from '../admin/merge-patch.js';
import { validationError } from '../admin/resource-codec.js';
import { bootstrapAuth, clusterAuth } from './cluster-auth.js';
import type { ClusterObjectPath, ClusterObjects } from './cluster-objects.js';
import type { ClusterRegistration, ClusterRegistry } from './cluster-registry.js';
import type { StatusFeed } from './status-feed.js';

/** Longest long poll of `GET /clusters/:name/statuses`. */
export const MAX_STATUS_WAIT_SECONDS = 30;

export interface ClusterRouterDeps {
  readonly bootstrapToken: string;
  readonly registry: ClusterRegistry;
  readonly objects: ClusterObjects;
  readonly feed: StatusFeed;
  /** A cluster registered or changed its labels: placement may have changed. */
  readonly onClusterChanged: () => void;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME = new RegExp(NAME_PATTERN);
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * The cluster API operators call (ADR 0006), mounted at `/api/v1/clusters` before the admin
 * token check: it has its own tokens. Without `deps` (no HUBPO_BOOTSTRAP_TOKEN) every path of it
 * answers 404; `GET /api/v1/clusters` itself stays the admin API's.
 */
export function clusterRouter(deps: ClusterRouterDeps | undefined): Router {
  const router = Router();
  if (deps === undefined) {
    const disabled: RequestHandler = (_req, _res, next) =>
      next(
        new HubpoError(
          'NOT_FOUND',
          'the cluster API is disabled: the control plane has no HUBPO_BOOTSTRAP_TOKEN',
        ),
      );
    router.post('/register', disabled);
    router.all('/:name/*rest', disabled);
    return router;
  }
  const body = jsonBody();
  const auth = clusterAuth(deps.registry);

  router.post('/register', bootstrapAuth(deps.bootstrapToken), body, async (req, res) => {
    const registered = await deps.registry.register(registrationOf(req.body));
    deps.onClusterChanged();
    res.status(registered.created ? 201 : 200).json(registered);
  });

  router.post('/:name/heartbeat', validClusterName, auth, body, async (req, res) => {
    const name = String(req.params['name']);
    const operator = isPlainObject(req.body) ? stringMap(req.body['operator']) : {};
    await deps.registry.heartbeat(name, operator);
    res.json({ name, state: 'active', at: new Date().toISOString() });
  });

  router.put('/:name/objects/:plural/:namespace/:objname', validClusterName, auth, body, async (req, res) => {
    res.json(await deps.objects.put(objectPath(req), req.body));
  });

  router.delete('/:name/objects/:plural/:namespace/:objname', validClusterName, auth, async (req, res) => {
    res.json(await deps.objects.delete(objectPath(req)));
  });

  router.get('/:name/statuses', validClusterName, auth, async (req, res) => {
    const after = cursorOf(req.query['after']);
    const wait = waitOf(req.query['wait']);
    const aborted = new AbortController();
    res.on('close', () => aborted.abort());
    const page = await deps.feed.read(String(req.params['name']), after, wait * 1000, aborted.signal);
    if (!res.writableEnded && !aborted.signal.aborted) res.json(page);
  });

  return router;
}

const validClusterName: RequestHandler = (req, _res, next) => {
  const name = String(req.params['name']);
  next(
    DNS_LABEL.test(name) && name.length <= 63
      ? undefined
      : new HubpoError('NOT_FOUND', `no cluster "${name}"`),
  );
};

/** 415 unless the body is JSON; at most 1 MiB; no body at all is left to the handler. */
function jsonBody(): RequestHandler {
  const parse = express.json({ limit: MAX_BODY_BYTES, strict: false, type: () => true });
  return (req, res, next) => {
    const empty =
      req.headers['transfer-encoding'] === undefined && Number(req.headers['content-length'] ?? 0) === 0;
    if (empty) {
      next();
      return;
    }
    if (req.is('application/json') === false) {
      next(new HubpoError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'));
      return;
    }
    parse(req, res, next);
  };
}

function registrationOf(body: unknown): ClusterRegistration {
  const issues: FieldIssue[] = [];
  const b = isPlainObject(body) ? body : {};
  if (!isPlainObject(body)) issues.push({ path: '/', message: 'must be { name, cloud, region, labels }' });
  const name = b['name'];
  if (typeof name !== 'string' || !DNS_LABEL.test(name) || name.length > 63) {
    issues.push({ path: '/name', message: 'a lowercase DNS label of at most 63 characters' });
  }
  const labels: Record<string, string> = {};
  const given = b['labels'] ?? {};
  if (!isPlainObject(given)) issues.push({ path: '/labels', message: 'must be an object of strings' });
  for (const [key, value] of Object.entries(isPlainObject(given) ? given : {})) {
    if (!LABEL_KEY.test(key)) issues.push({ path: `/labels/${key}`, message: 'not a valid label key' });
    else if (typeof value !== 'string' || !LABEL_VALUE.test(value))
      issues.push({ path: `/labels/${key}`, message: 'not a valid label value' });
    else labels[key] = value;
  }
  for (const field of ['cloud', 'region'] as const) {
    const value = b[field];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string' || !LABEL_VALUE.test(value))
      issues.push({
        path: `/${field}`,
        message: 'a label value: letters, digits, "-", "_", ".", at most 63',
      });
    else labels[field] = value;
  }
  if (issues.length > 0) throw validationError(issues);
  return { name: name as string, labels, operator: stringMap(b['operator']) };
}

/** String fields of an object (what an operator says about itself), each at most 253 characters. */
function stringMap(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value))
    if (typeof v === 'string' && k.length <= 63) out[k] = v.slice(0, 253);
  return out;
}

function objectPath(req: Request): ClusterObjectPath {
  const plural = String(req.params['plural']);
  const kind = kindByPlural(plural);
  if (kind === undefined) throw new HubpoError('NOT_FOUND', `no resource type "${plural}"`);
  const namespace = String(req.params['namespace']);
  if (!NAME.test(namespace) || namespace.length > 63) {
    throw new HubpoError('BAD_REQUEST', `"${namespace}" is not a valid namespace`, {
      issues: [{ path: 'namespace', message: 'a lowercase RFC 1123 label of at most 63 characters' }],
    });
  }
  return { cluster: String(req.params['name']), kind, namespace, name: String(req.params['objname']) };
}

function cursorOf(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  throw new HubpoError('BAD_REQUEST', 'after must be the cursor a previous answer returned', {
    issues: [{ path: 'after', message: 'a cursor string' }],
  });
}

function waitOf(value: unknown): number {
  if (value === undefined || value === '') return 0;
  if (typeof value === 'string' && /^\d{1,6}$/.test(value))
    return Math.min(Number(value), MAX_STATUS_WAIT_SECONDS);
  throw new HubpoError(
    'BAD_REQUEST',
    `wait must be a whole number of seconds (at most ${MAX_STATUS_WAIT_SECONDS})`,
    {
      issues: [{ path: 'wait', message: 'whole seconds' }],
    },
  );
}
