import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Admission, admit, rateLimitHeaders } from './admission.js';
import type { AdmissionSubject } from './admission.js';
import type { BackendTarget } from './backend-target.js';
import type { ConsumerRuntime } from './consumer-runtime.js';
import { Replies, writeSocketErrorReply } from './error-reply.js';
import type { ErrorReply } from './error-reply.js';
import { VIA_VALUE } from './forward-headers.js';
import type { ExchangeHost } from './proxy-exchange.js';
import { MAX_URL_LENGTH } from './proxy-exchange.js';
import type { RateLimiter } from './rate-limiter.js';
import { normalizeHost, normalizePath, splitTarget } from './request-target.js';
import type { SplitTarget } from './request-target.js';
import type { MatchInput } from './route-candidate.js';
import type { RuleRuntime } from './rule-runtime.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import type { TokenBucket } from './token-bucket.js';
import { UpstreamFailure, classifyUpstreamError } from './upstream-error.js';

const target: SplitTarget = { path: '/', query: '', authority: null };

/**
 * One WebSocket upgrade: the same match and admission as a request (routes, API keys, rate
 * limits), then a pass-through on http-proxy to one picked backend. No retries (an upgrade is
 * not replayed); a connect failure counts against the backend's passive health and answers 502.
 * Errors are written raw on the socket (there is no ServerResponse on an upgrade).
 */
export class UpgradeExchange implements MatchInput, AdmissionSubject {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly clientIp: string;
  readonly requestId: string;
  consumer: ConsumerRuntime | null = null;
  limiter: RateLimiter | null = null;
  bucket: TokenBucket | null = null;
  readonly #host: ExchangeHost;
  readonly #req: IncomingMessage;
  readonly #socket: Duplex;
  readonly #head: Buffer;
  readonly #startedAt: number;
  #query = '';
  #rule: RuleRuntime | null = null;

  constructor(host: ExchangeHost, req: IncomingMessage, socket: Duplex, head: Buffer) {
    this.#host = host;
    this.#req = req;
    this.#socket = socket;
    this.#head = head;
    this.method = req.method ?? 'GET';
    this.headers = req.headers;
    const ip = req.socket.remoteAddress ?? '';
    this.clientIp = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    this.requestId = host.state.requestIds.idFor(req.headers['x-request-id']);
    this.#startedAt = host.state.clock();
  }

  queryParam(name: string): string | null {
    return new URLSearchParams(this.#query).get(name);
  }

  start(): void {
    this.#host.exchangeStarted();
    try {
      this.#route();
    } catch {
      this.#fail(Replies.internal, null);
    }
  }

  #route(): void {
    const url = this.#req.url ?? '/';
    if (url.length > MAX_URL_LENGTH) return this.#fail(Replies.uriTooLong, null);
    if (!splitTarget(url, target)) return this.#fail(Replies.badRequestTarget, null);
    if (this.method !== 'GET' || this.headers.upgrade?.toLowerCase() !== 'websocket') {
      return this.#fail(Replies.upgradeNotSupported, null);
    }
    const path = normalizePath(target.path);
    this.#query = target.query;
    const candidate = this.#host.table.match(
      normalizeHost(target.authority ?? this.headers.host),
      path,
      this,
    );
    if (candidate === null) return this.#fail(Replies.routeNotFound, null);
    const rule = (this.#rule = candidate.target);
    if (rule.admits && !this.#admit(rule)) return;
    if (rule.picker === null) return this.#fail(Replies.aiNotEnabled, null);

    const backend = rule.picker.pick(this.#host.state.clock, null);
    const req = this.#req;
    req.url =
      (rule.pathRewrite === null ? path : rule.pathRewrite.apply(path, candidate.pathValue)) + this.#query;
    const headers = req.headers;
    if (rule.hostRewrite !== null) headers.host = rule.hostRewrite;
    headers['x-request-id'] = this.requestId;
    if (rule.auth !== null) for (const name of rule.auth.credentialHeaders) delete headers[name];
    headers.via = headers.via === undefined ? VIA_VALUE : `${headers.via}, ${VIA_VALUE}`;
    rule.requestHeaders?.applyTo(headers);
    this.#host.state.websockets.forward(req, this.#socket, this.#head, backend.origin + backend.basePath, {
      opened: () => {
        backend.health.recordSuccess();
        this.#record(101);
      },
      refused: (status) => {
        if (status >= 500) this.#recordFailure(rule, backend);
        this.#record(status);
      },
      failed: (error) => {
        this.#recordFailure(rule, backend);
        const failure = classifyUpstreamError(error);
        this.#writeError(
          failure === UpstreamFailure.Connect ? Replies.upstreamConnect : Replies.upstreamReset,
        );
      },
    });
    // The handshake is handed over; the WebSocket's lifetime is not the runtime's.
    this.#host.exchangeEnded();
  }

  #recordFailure(rule: RuleRuntime, backend: BackendTarget): void {
    const state = this.#host.state;
    if (backend.health.recordFailure(state.clock(), rule.failuresToEject, rule.ejectionMs)) {
      state.metrics?.recordEjection(backend.id);
    }
  }

  #admit(rule: RuleRuntime): boolean {
    const outcome = admit(rule, this.#host.consumersByKeyHash, this, this.#host.state.clock);
    switch (outcome) {
      case Admission.Admitted:
        return true;
      case Admission.KeyMissing:
        this.#fail(Replies.keyMissing, rule.auth!.challenge);
        return false;
      case Admission.KeyInvalid:
        this.#fail(Replies.keyInvalid, rule.auth!.challenge);
        return false;
      case Admission.Forbidden:
        this.#fail(Replies.routeForbidden, null);
        return false;
      case Admission.RateLimited:
        this.#fail(Replies.rateLimited, rateLimitHeaders(this.limiter!, this.bucket!, true));
        return false;
    }
  }

  #fail(reply: ErrorReply, extra: readonly string[] | null): void {
    writeSocketErrorReply(this.#socket, reply, this.requestId, extra);
    this.#record(reply.status);
    this.#host.exchangeEnded();
  }

  #writeError(reply: ErrorReply): void {
    writeSocketErrorReply(this.#socket, reply, this.requestId, null);
    this.#record(reply.status);
  }

  #record(status: number): void {
    const metrics = this.#host.state.metrics;
    if (metrics === null || this.#rule === null) return;
    const seconds = (this.#host.state.clock() - this.#startedAt) / 1000;
    metrics.requestDuration.record(
      seconds,
      this.#rule.metrics.byStatusClass[RuntimeMetrics.statusClass(status)],
    );
  }
}
