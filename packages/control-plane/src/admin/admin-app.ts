import express from 'express';
import type { ErrorRequestHandler, Express, Request, RequestHandler, Router } from 'express';
import { HubpoError } from '@hubpo/core';
import type { Logger } from '../logger.js';
import type { ResourceStore } from '../store/resource-store.js';
import { bearerAuth } from './bearer-auth.js';
import { buildOpenApiDocument } from './openapi-document.js';
import { PROBLEM_CONTENT_TYPE, fromBodyParserError, toProblem } from './problem.js';
import { resourceRouter } from './resource-routes.js';

/** Largest request body the admin API reads. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the admin API reads besides resources; each call returns JSON-ready data. */
export interface AdminDeps {
  readonly token: string;
  readonly store: ResourceStore;
  readonly logger: Logger;
  readonly gateways: () => Promise<unknown>;
  readonly clusters: () => Promise<unknown>;
  readonly config: () => Promise<unknown>;
  /** Ready: the database answers and the first translation ran. Resolves with what is missing. */
  readonly readiness: () => Promise<{ readonly ready: boolean; readonly reasons: readonly string[] }>;
  readonly metrics: RequestHandler;
  /** Records one admin request (route template, status, seconds). */
  readonly observe?: (route: string, method: string, status: number, seconds: number) => void;
  /** The operators' cluster API (its own tokens), mounted at `/api/v1/clusters` before admin auth. */
  readonly clusterApi?: Router;
  /** Usage records and summaries (`/api/v1/usage`, behind the admin token). */
  readonly usage?: Router;
  /** Write-only secrets (`/api/v1/[namespaces/{ns}/]secrets`, behind the admin token). */
  readonly secrets?: Router;
}

/**
 * The admin REST API. Everything but the health probes needs the bearer token; bodies are
 * parsed only after authentication, only as JSON (merge patch for PATCH), at most 1 MiB. Every
 * error goes through one problem+json renderer.
 */
export function createAdminApp(deps: AdminDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestLog(deps));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const { ready, reasons } = await deps.readiness();
    res.status(ready ? 200 : 503).json(ready ? { status: 'ready' } : { status: 'not ready', reasons });
  });

  if (deps.clusterApi !== undefined) app.use('/api/v1/clusters', deps.clusterApi);
  // Prometheus scrapes without credentials, as it does the gateway; metrics carry no secrets.
  app.get('/metrics', deps.metrics);
  app.use(bearerAuth(deps.token));
  const openapi = buildOpenApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  app.use('/api/v1', jsonBody());
  app.get('/api/v1/gateways', async (_req, res) => {
    res.json({ items: await deps.gateways() });
  });
  app.get('/api/v1/clusters', async (_req, res) => {
    res.json({ items: await deps.clusters() });
  });
  app.get('/api/v1/config', async (_req, res) => {
    res.json(await deps.config());
  });
  if (deps.usage !== undefined) app.use('/api/v1/usage', deps.usage);
  if (deps.secrets !== undefined) app.use('/api/v1', deps.secrets);
  app.use('/api/v1', resourceRouter(deps.store));

  app.use((req, _res, next) => {
    next(new HubpoError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
  });
  app.use(errorHandler(deps.logger));
  return app;
}

const MERGE_PATCH = 'application/merge-patch+json';

/** 415 unless the body is JSON (merge patch JSON for PATCH), then parses it (413 above 1 MiB). */
function jsonBody(): RequestHandler {
  const parse = express.json({ limit: MAX_BODY_BYTES, strict: false, type: () => true });
  return (req, res, next) => {
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') {
      next();
      return;
    }
    const accepted = req.method === 'PATCH' ? [MERGE_PATCH, 'application/json'] : ['application/json'];
    // `null`: no body at all, left to the handler (an empty create is a 422, not a 415).
    if (req.is(accepted) === false) {
      const hint =
        req.method === 'PATCH' ? `${MERGE_PATCH} (RFC 7386) or application/json` : 'application/json';
      next(new HubpoError('UNSUPPORTED_MEDIA_TYPE', `send the body as ${hint}`));
      return;
    }
    parse(req, res, next);
  };
}

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const error = fromBodyParserError(err) ?? HubpoError.from(err);
    if (error.status >= 500) {
      logger.error(
        { err: error.cause ?? error, method: req.method, path: req.path, code: error.code },
        'admin request failed',
      );
    }
    const problem = toProblem(error, req.originalUrl.split('?')[0]);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  };
}

/** One log line per request: method, route, status, duration. Never headers, query or bodies. */
function requestLog(deps: AdminDeps): RequestHandler {
  return (req: Request, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = routeTemplate(req);
      deps.observe?.(route, req.method, res.statusCode, seconds);
      deps.logger.debug(
        { method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) },
        'admin request',
      );
    });
    next();
  };
}

function routeTemplate(req: Request): string {
  const route: unknown = req.route;
  const path =
    typeof route === 'object' && route !== null && 'path' in route ? String(route.path) : undefined;
  return path === undefined ? 'unmatched' : `${req.baseUrl}${path}`;
}
