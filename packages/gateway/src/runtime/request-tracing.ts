import type { IncomingMessage } from 'node:http';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import { startClientSpan, startServerSpan, traceparentOf } from '@hubpo/telemetry';
import type { BackendTarget } from './backend-target.js';
import type { RuleRuntime } from './rule-runtime.js';

/*
 * Spans of plain proxy requests, after the OpenTelemetry HTTP semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/http/http-spans/): one SERVER span per request,
 * one CLIENT span per upstream attempt, `traceparent` sent upstream. Only called when a tracer
 * is configured: the exchange checks for null first, so with tracing off none of this runs.
 * Query strings are never recorded (they may carry credentials).
 */

/** Methods the conventions name; any other is recorded as `_OTHER` with the original kept. */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

/** What a request span is built from (the exchange). */
export interface TracedRequest {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly clientIp: string;
  readonly requestId: string;
  readonly proto: 'http' | 'https';
}

/**
 * Starts the SERVER span of a request, a child of the caller's `traceparent` when it sent a valid
 * one. `path` and `host` are the normalised ones (null when the target was refused before).
 */
export function startRequestSpan(
  tracer: Tracer,
  request: TracedRequest,
  rule: RuleRuntime | null,
  host: string | null,
  path: string | null,
): Span {
  const method = KNOWN_METHODS.has(request.method) ? request.method : '_OTHER';
  const socket = request.req.socket;
  const attributes: Attributes = {
    'http.request.method': method,
    'url.scheme': request.proto,
    'network.protocol.version': request.req.httpVersion,
    'client.address': request.clientIp,
    'hubpo.request_id': request.requestId,
  };
  if (method === '_OTHER') attributes['http.request.method_original'] = request.method;
  if (path !== null) attributes['url.path'] = path;
  if (host !== null && host !== '') attributes['server.address'] = host;
  if (socket.remoteAddress !== undefined) attributes['network.peer.address'] = socket.remoteAddress;
  if (socket.remotePort !== undefined) attributes['network.peer.port'] = socket.remotePort;
  if (socket.localPort !== undefined) attributes['server.port'] = socket.localPort;
  const userAgent = request.req.headers['user-agent'];
  if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
  if (rule !== null) {
    attributes['http.route'] = rule.routeId;
    attributes['hubpo.route'] = rule.routeId;
    attributes['hubpo.rule'] = rule.label;
  }
  const name = rule === null ? method : `${method} ${rule.routeId}`;
  return startServerSpan(tracer, name, request.req.headers, attributes);
}

/**
 * Ends the SERVER span. `status` is what the client got (499: it went away first, so no status
 * is recorded); `errorCode` is the gateway's own error code when it answered itself.
 */
export function endRequestSpan(span: Span, status: number, errorCode: string | null): void {
  if (status === 499) {
    span.setAttribute('hubpo.aborted', true);
  } else {
    span.setAttribute('http.response.status_code', status);
  }
  // Server spans: 5xx are errors, 4xx are the client's (conventions, "Status").
  if (status >= 500) {
    const type = errorCode ?? String(status);
    span.setAttribute('error.type', type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  } else if (errorCode !== null) {
    span.setAttribute('error.type', errorCode);
  }
  span.end();
}

/** Starts the CLIENT span of one upstream attempt to `backend`. */
export function startAttemptSpan(
  tracer: Tracer,
  parent: Span,
  method: string,
  backend: BackendTarget,
  path: string,
  attempt: number,
): Span {
  const known = KNOWN_METHODS.has(method);
  const url = new URL(backend.origin);
  const query = path.indexOf('?');
  const attributes: Attributes = {
    'http.request.method': known ? method : '_OTHER',
    'server.address': url.hostname,
    'server.port': url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    'url.full': backend.origin + (query === -1 ? path : path.slice(0, query)),
    'hubpo.backend': backend.id,
  };
  if (!known) attributes['http.request.method_original'] = method;
  // Retries (conventions: `http.request.resend_count`, only when this is not the first attempt).
  if (attempt > 0) attributes['http.request.resend_count'] = attempt;
  return startClientSpan(tracer, known ? method : 'HTTP', parent, attributes);
}

/**
 * Ends an attempt's CLIENT span: `status` when response headers came (0 when none did),
 * `errorType` when the attempt failed (`connect`, `reset`, `timeout`, ...).
 */
export function endAttemptSpan(span: Span, status: number, errorType: string | null): void {
  if (status !== 0) span.setAttribute('http.response.status_code', status);
  // Client spans: 4xx and 5xx are errors (conventions, "Status").
  const type = errorType ?? (status >= 400 ? String(status) : null);
  if (type !== null) {
    span.setAttribute('error.type', type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  }
  span.end();
}

/**
 * Sets the `traceparent` of the upstream request in the flat `[name, value, ...]` header list to
 * `span` (replacing the one the client sent, if any); returns the value's index for the next
 * attempt.
 */
export function setTraceparent(headers: string[], at: number, span: Span): number {
  const value = traceparentOf(span);
  if (at >= 0) {
    headers[at] = value;
    return at;
  }
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === 'traceparent') {
      headers[i + 1] = value;
      return i + 1;
    }
  }
  headers.push('traceparent', value);
  return headers.length - 1;
}
