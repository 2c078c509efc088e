import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubpoError } from '@hubpo/core';
import { HttpListener } from './http-listener.js';
import { errorBody, sendJson } from './send-json.js';

/** What the admin listener reads; all of it is safe to show (no credentials, no payloads). */
export interface AdminSource {
  /** Serving a config and not draining. */
  ready(): boolean;
  revision(): number | undefined;
  /** The body of `/config`. */
  configStatus(): unknown;
  /** Prometheus text exposition (telemetry's handler). */
  metrics(req: IncomingMessage, res: ServerResponse): void;
}

const NOT_FOUND = new HubpoError(
  'NOT_FOUND',
  'no such admin endpoint; try /healthz, /readyz, /metrics, /config',
);
const METHOD_NOT_ALLOWED = new HubpoError('METHOD_NOT_ALLOWED', 'admin endpoints are read-only (GET, HEAD)');

/**
 * The admin listener (health, readiness, metrics, config status), separate from the proxy
 * listener so probes and scrapes never compete with client traffic and are never routed.
 * - `/healthz`: the process serves HTTP (liveness), always 200;
 * - `/readyz`: 200 once a config is applied, 503 before it and while draining;
 * - `/metrics`: Prometheus;
 * - `/config`: served revision, hash, applied time, driver state.
 */
export function createAdminListener(source: AdminSource): HttpListener {
  const server = createServer({ keepAlive: true, requestTimeout: 10_000, headersTimeout: 10_000 });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, METHOD_NOT_ALLOWED.status, errorBody(METHOD_NOT_ALLOWED), { allow: 'GET, HEAD' });
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0];
    switch (path) {
      case '/healthz':
        sendJson(res, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const ready = source.ready();
        sendJson(res, ready ? 200 : 503, { ready, revision: source.revision() ?? null });
        return;
      }
      case '/metrics':
        source.metrics(req, res);
        return;
      case '/config':
        sendJson(res, 200, source.configStatus());
        return;
      default:
        sendJson(res, NOT_FOUND.status, errorBody(NOT_FOUND));
    }
  });
  return new HttpListener(server);
}
