import { Router } from 'express';
import type { Request } from 'express';
import { NAME_PATTERN } from '@hubpo/api';
import { HubpoError } from '@hubpo/core';
import type { FieldIssue } from '@hubpo/core';
import type { AdminSecretStore } from './admin-secret-store.js';

/** Input limits of `PUT /namespaces/{ns}/secrets/{name}`. */
export const SECRET_LIMITS = Object.freeze({ maxKeys: 32, maxKeyLength: 253, maxValueBytes: 64 * 1024 });

const NAME = new RegExp(NAME_PATTERN);
/** Kubernetes Secret data keys: alphanumerics, `-`, `_` and `.`. */
const KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * Write-only secrets: `PUT` stores `{data: {key: value}}` (replacing the secret), `GET` shows names,
 * keys and `updatedAt` (never a value), `DELETE` removes it. AIModels written through the admin
 * API resolve `credentialsRef` against them. Without HUBPO_SECRET_KEY nothing can be stored, and
 * every route answers 503.
 */
export function secretRouter(store: AdminSecretStore | undefined): Router {
  const router = Router();
  const secrets = (): AdminSecretStore => {
    if (store === undefined)
      throw new HubpoError('UNAVAILABLE', 'secrets need HUBPO_SECRET_KEY on the control plane');
    return store;
  };

  router.get('/secrets', async (_req, res) => {
    res.json({ items: await secrets().list() });
  });
  router.get('/namespaces/:ns/secrets', async (req, res) => {
    res.json({ items: await secrets().list(nameParam(req, 'ns')) });
  });
  router.get('/namespaces/:ns/secrets/:name', async (req, res) => {
    const ns = nameParam(req, 'ns');
    const name = nameParam(req, 'name');
    const found = await secrets().get(ns, name);
    if (found === undefined) throw new HubpoError('NOT_FOUND', `secret ${ns}/${name} not found`);
    res.json(found);
  });
  router.put('/namespaces/:ns/secrets/:name', async (req, res) => {
    const ns = nameParam(req, 'ns');
    const name = nameParam(req, 'name');
    const data = parseData(req.body);
    const existed = (await secrets().get(ns, name)) !== undefined;
    const summary = await secrets().put(ns, name, data);
    res.status(existed ? 200 : 201).json(summary);
  });
  router.delete('/namespaces/:ns/secrets/:name', async (req, res) => {
    const ns = nameParam(req, 'ns');
    const name = nameParam(req, 'name');
    if (!(await secrets().delete(ns, name)))
      throw new HubpoError('NOT_FOUND', `secret ${ns}/${name} not found`);
    res.status(204).end();
  });
  return router;
}

function nameParam(req: Request, param: string): string {
  const value = String(req.params[param] ?? '');
  if (value.length > 253 || !NAME.test(value))
    throw new HubpoError(
      'NOT_FOUND',
      `"${value.slice(0, 64)}" is not a valid ${param === 'ns' ? 'namespace' : 'name'}`,
    );
  return value;
}

/** Validates `{data: {key: value}}`; issues name fields, never echo values. */
export function parseData(body: unknown): Record<string, string> {
  const issues: FieldIssue[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(body) || !isObject(body['data'])) {
    throw new HubpoError('VALIDATION', 'the body must be {"data": {"<key>": "<value>"}}', {
      issues: [{ path: '/data', message: 'must be an object of string values' }],
    });
  }
  for (const field of Object.keys(body))
    if (field !== 'data') issues.push({ path: `/${field}`, message: 'unknown field' });
  const entries = Object.entries(body['data']);
  if (entries.length === 0) issues.push({ path: '/data', message: 'needs at least one key' });
  if (entries.length > SECRET_LIMITS.maxKeys)
    issues.push({ path: '/data', message: `at most ${SECRET_LIMITS.maxKeys} keys` });
  const data: Record<string, string> = {};
  for (const [key, value] of entries.slice(0, SECRET_LIMITS.maxKeys + 1)) {
    const at = `/data/${key.slice(0, 64).replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (key.length > SECRET_LIMITS.maxKeyLength || !KEY.test(key)) {
      issues.push({ path: at, message: 'keys are 1-253 characters of letters, digits, "-", "_" and "."' });
      continue;
    }
    if (typeof value !== 'string' || value.length === 0) {
      issues.push({ path: at, message: 'must be a non-empty string' });
      continue;
    }
    if (Buffer.byteLength(value, 'utf8') > SECRET_LIMITS.maxValueBytes) {
      issues.push({ path: at, message: `at most ${SECRET_LIMITS.maxValueBytes} bytes` });
      continue;
    }
    data[key] = value;
  }
  if (issues.length > 0) throw new HubpoError('VALIDATION', 'the secret is invalid', { issues });
  return data;
}
