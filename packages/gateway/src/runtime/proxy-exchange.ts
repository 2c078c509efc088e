import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Span } from '@opentelemetry/api';
import type { Dispatcher } from 'undici';
import { Admission, admit, rateLimitHeaders } from './admission.js';
import type { AdmissionSubject } from './admission.js';
import type { BackendTarget } from './backend-target.js';
import type { ConsumerRuntime } from './consumer-runtime.js';
import { Replies, sendErrorReply } from './error-reply.js';
import type { ErrorReply } from './error-reply.js';
import { buildResponseHeaders, buildUpstreamHeaders } from './forward-headers.js';
import type { ForwardContext } from './forward-headers.js';
import type { HeaderModifier } from './header-modifier.js';
import type { RateLimiter } from './rate-limiter.js';
import {
  endAttemptSpan,
  endRequestSpan,
  setTraceparent,
  startAttemptSpan,
  startRequestSpan,
} from './request-tracing.js';
import { normalizeHost, normalizePath, splitTarget } from './request-target.js';
import type { SplitTarget } from './request-target.js';
import { PathKind } from './route-candidate.js';
import type { MatchInput } from './route-candidate.js';
import type { RouteTable } from './route-table.js';
import type { RuleRuntime } from './rule-runtime.js';
import { RuleMetrics, RuntimeMetrics } from './runtime-metrics.js';
import type { RuntimeState } from './runtime-state.js';
import type { TokenBucket } from './token-bucket.js';
import { UpstreamFailure, classifyUpstreamError, failureMetricKind } from './upstream-error.js';

/** What an exchange needs from the runtime serving it. */
export interface ExchangeHost {
  readonly table: RouteTable<RuleRuntime>;
  readonly consumersByKeyHash: ReadonlyMap<string, ConsumerRuntime>;
  readonly state: RuntimeState;
  exchangeStarted(): void;
  exchangeEnded(): void;
}

/** Longest request target served (414 beyond). */
export const MAX_URL_LENGTH = 8192;
/** Largest request body buffered so that a 5xx can be retried. */
export const MAX_REPLAY_BODY = 64 * 1024;
/** Methods whose listed 5xx answers are retried (RFC 9110 §9.2.2). */
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Phases of an exchange. */
const PENDING = 0; // matching, admission, buffering the body, waiting for a retry
const UPSTREAM = 1; // an attempt is in flight, nothing sent to the client yet
const STREAMING = 2; // response headers sent: no retry, no error reply any more
const DONE = 3; // answered, aborted or timed out; late upstream callbacks are ignored

/** Pseudo-status recorded when the client went away first (nginx's 499). */
const CLIENT_CLOSED = 499;

/** Abort reasons handed to undici; created once (no stack capture per request). */
const CLIENT_GONE = new Error('the client closed the connection');
const DEADLINE_PASSED = new Error('the request timeout passed');
const ATTEMPT_TIMED_OUT = Object.assign(new Error('no response headers within the backend request timeout'), {
  code: 'UND_ERR_HEADERS_TIMEOUT',
});
/**
 * undici runs header and body timeouts on its coarse timers (about 1 s resolution). Per-attempt
 * timeouts up to this long get a precise timer of their own for the header phase.
 */
const PRECISE_ATTEMPT_TIMEOUT_MS = 2000;

/** Placeholder until the upstream headers are built (never mutated). */
const NO_HEADERS: string[] = [];
/** Scratch for `splitTarget` (matching is synchronous). */
const target: SplitTarget = { path: '/', query: '', authority: null };
let unmatchedMetrics: RuleMetrics | null = null;

const kExchange = Symbol('hubpo.exchange');
type TrackedResponse = ServerResponse & { [kExchange]?: ProxyExchange };

// Listeners and timer callbacks are module functions taking the exchange, not per-request closures.
function onResponseClose(this: ServerResponse): void {
  (this as TrackedResponse)[kExchange]?.clientClosed();
}
function onDeadline(exchange: ProxyExchange): void {
  exchange.expire();
}
function onRetryTimer(exchange: ProxyExchange): void {
  exchange.retryNow();
}
function ignoreError(): void {
  // A request stream error ends in the response's close; nothing to do here.
}

function onAttemptTimeout(exchange: ProxyExchange): void {
  exchange.attemptTimedOut();
}

/**
 * One client request through the runtime: match, admit, then proxy with retries. It is its own
 * undici dispatch handler (undici's native callback set: raw header buffers, no parsed-header
 * object per response, see ADR 0005), so a request allocates this object, the upstream header
 * list and the response header list, and no closures.
 * Contracts: the response head is written once; nothing is retried after response bytes reached
 * the client; every path ends in `#finish` exactly once.
 */
export class ProxyExchange
  implements MatchInput, AdmissionSubject, ForwardContext, Dispatcher.DispatchHandler
{
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly clientIp: string;
  readonly requestId: string;
  query = '';
  rule: RuleRuntime | null = null;
  consumer: ConsumerRuntime | null = null;
  limiter: RateLimiter | null = null;
  bucket: TokenBucket | null = null;
  readonly #host: ExchangeHost;
  readonly #startedAt: number;
  #params: URLSearchParams | null = null;
  #phase = PENDING;
  #path = '/';
  #upstreamHeaders: string[] = NO_HEADERS;
  #body: Readable | Buffer | null = null;
  #bodyIsStream = false;
  #target: BackendTarget | null = null;
  #failed: BackendTarget | null = null;
  #attempt = 0;
  #nextDelay = 0;
  #status = 0;
  #discarding = false;
  #abort: ((error?: Error) => void) | null = null;
  #resume: (() => void) | null = null;
  #deadline: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #attemptTimer: NodeJS.Timeout | null = null;
  /** The gateway's own error reply, when it answered itself. */
  #replied: ErrorReply | null = null;
  // Tracing (null unless a tracer is configured): the request span, the attempt's, and where
  // the upstream `traceparent` value sits in the header list.
  #span: Span | null = null;
  #attemptSpan: Span | null = null;
  #attemptStatus = 0;
  #traceparentAt = -1;

  constructor(host: ExchangeHost, req: IncomingMessage, res: ServerResponse) {
    this.#host = host;
    this.req = req;
    this.res = res;
    this.method = req.method ?? 'GET';
    this.headers = req.headers;
    const ip = req.socket.remoteAddress ?? '';
    this.clientIp = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    this.requestId = host.state.requestIds.idFor(req.headers['x-request-id']);
    this.#startedAt = host.state.clock();
  }

  // ForwardContext
  get proto(): 'http' | 'https' {
    return (this.req.socket as TLSSocket).encrypted === true ? 'https' : 'http';
  }
  get hostRewrite(): string | null {
    return this.rule === null ? null : this.rule.hostRewrite;
  }
  get hiddenHeaders(): readonly string[] | null {
    return this.rule === null || this.rule.auth === null ? null : this.rule.auth.credentialHeaders;
  }
  get modifier(): HeaderModifier | null {
    return this.rule === null ? null : this.rule.requestHeaders;
  }

  // MatchInput
  queryParam(name: string): string | null {
    this.#params ??= new URLSearchParams(this.query);
    return this.#params.get(name);
  }

  start(): void {
    this.#host.exchangeStarted();
    try {
      this.#route();
    } catch {
      // A bug must not take the process down or leave the client hanging.
      if (this.#phase === DONE) return;
      this.#phase = DONE;
      this.#cancelUpstream(CLIENT_GONE);
      this.#reply(Replies.internal, null);
    }
  }

  #route(): void {
    const url = this.req.url ?? '/';
    const tracer = this.#host.state.tracer;
    if (url.length > MAX_URL_LENGTH || !splitTarget(url, target)) {
      if (tracer !== null) this.#span = startRequestSpan(tracer, this, null, null, null);
      return this.#reject(url.length > MAX_URL_LENGTH ? Replies.uriTooLong : Replies.badRequestTarget, null);
    }
    const path = normalizePath(target.path);
    this.query = target.query;
    const host = normalizeHost(target.authority ?? this.headers.host);
    const candidate = this.#host.table.match(host, path, this);
    if (candidate === null) {
      if (tracer !== null) this.#span = startRequestSpan(tracer, this, null, host, path);
      return this.#reject(Replies.routeNotFound, null);
    }
    const rule = (this.rule = candidate.target);
    // AI rules are traced by the AI handler (GenAI spans); every other request here.
    if (tracer !== null && rule.ai === null) this.#span = startRequestSpan(tracer, this, rule, host, path);
    if (rule.admits && !this.#admit(rule)) return;
    if (rule.ai !== null) {
      // AI rules (issue 3): the AI handler serves the request and calls `aiFinished` once.
      this.#path = path;
      this.#phase = UPSTREAM;
      rule.ai.serve(this, path, candidate.pathKind === PathKind.Prefix ? candidate.pathValue : null);
      return;
    }
    if (rule.picker === null) return this.#reject(Replies.aiNotEnabled, null);

    this.#path =
      (rule.pathRewrite === null ? path : rule.pathRewrite.apply(path, candidate.pathValue)) + this.query;
    this.#upstreamHeaders = buildUpstreamHeaders(this.headers, this);
    (this.res as TrackedResponse)[kExchange] = this;
    this.res.on('close', onResponseClose);
    if (rule.requestMs > 0) this.#deadline = setTimeout(onDeadline, rule.requestMs, this);
    this.#sendBody(rule);
  }

  /** Returns true when admitted; otherwise the rejection was sent. */
  #admit(rule: RuleRuntime): boolean {
    const outcome = admit(rule, this.#host.consumersByKeyHash, this, this.#host.state.clock);
    if (outcome === Admission.Admitted) return true;
    const metrics = this.#host.state.metrics;
    switch (outcome) {
      case Admission.KeyMissing:
        metrics?.authRejected.add(1, rule.metrics.authRejected.missing);
        this.#reject(Replies.keyMissing, rule.auth!.challenge);
        break;
      case Admission.KeyInvalid:
        metrics?.authRejected.add(1, rule.metrics.authRejected.invalid);
        this.#reject(Replies.keyInvalid, rule.auth!.challenge);
        break;
      case Admission.Forbidden:
        metrics?.authRejected.add(1, rule.metrics.authRejected.forbidden);
        this.#reject(Replies.routeForbidden, null);
        break;
      case Admission.RateLimited:
        metrics?.rateLimited.add(1, rule.metrics.rule);
        this.#reject(Replies.rateLimited, rateLimitHeaders(this.limiter!, this.bucket!, true));
        break;
    }
    return false;
  }

  /**
   * Requests without a body send none; small bodies of idempotent requests on rules that retry
   * 5xx answers are buffered (so they can be sent again); everything else streams from the
   * client socket, and is replayable only until undici starts reading it.
   */
  #sendBody(rule: RuleRuntime): void {
    const length = this.headers['content-length'];
    if (length === undefined ? this.headers['transfer-encoding'] === undefined : length === '0') {
      this.#dispatch();
      return;
    }
    if (
      length !== undefined &&
      rule.retriesStatuses &&
      IDEMPOTENT.has(this.method) &&
      Number(length) <= MAX_REPLAY_BODY
    ) {
      this.#bufferBody();
      return;
    }
    this.#body = this.req;
    this.#bodyIsStream = true;
    this.#dispatch();
  }

  /** Rare path (a body on an idempotent request with 5xx retries): closures are fine here. */
  #bufferBody(): void {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): number => chunks.push(chunk);
    const onEnd = (): void => {
      // Off the request (a keep-alive connection keeps it until its next one): no listener may
      // keep this exchange alive after it.
      this.req.off('data', onData);
      if (this.#phase === DONE) return;
      this.#body = Buffer.concat(chunks);
      this.#dispatch();
    };
    this.req.on('data', onData);
    this.req.on('error', ignoreError);
    this.req.once('end', onEnd);
  }

  #dispatch(): void {
    const rule = this.rule!;
    const backend = rule.picker!.pick(this.#host.state.clock, this.#failed);
    this.#target = backend;
    backend.health.inflight++;
    this.#phase = UPSTREAM;
    if (this.#span !== null) this.#traceAttempt(backend);
    if (rule.backendRequestMs > 0 && rule.backendRequestMs <= PRECISE_ATTEMPT_TIMEOUT_MS) {
      this.#attemptTimer = setTimeout(onAttemptTimeout, rule.backendRequestMs, this);
    }
    backend.pool.dispatcher.dispatch(
      {
        path: backend.basePath === '' ? this.#path : backend.basePath + this.#path,
        method: this.method as Dispatcher.HttpMethod,
        headers: this.#upstreamHeaders,
        body: this.#body,
        headersTimeout: rule.backendRequestMs,
        bodyTimeout: rule.backendRequestMs,
      },
      this,
    );
  }

  // undici DispatchHandler (legacy callback set, which undici 7 runs natively).
  onConnect(abort: (error?: Error) => void): void {
    if (this.#phase === DONE) abort(CLIENT_GONE);
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200 || this.#phase === DONE) return true;
    if (this.#attemptTimer !== null) this.#clearAttemptTimer();
    this.#attemptStatus = statusCode;
    const rule = this.rule!;
    const backend = this.#target!;
    if (statusCode >= 500) {
      this.#recordFailure(backend);
      if (rule.retriesStatus(statusCode) && IDEMPOTENT.has(this.method) && this.#canRetry()) {
        // Drain this answer (keeps the connection) and try again once it ends.
        this.#discarding = true;
        return true;
      }
    } else {
      backend.health.recordSuccess();
    }
    const extra = this.limiter === null ? null : rateLimitHeaders(this.limiter, this.bucket!, false);
    this.res.writeHead(
      statusCode,
      buildResponseHeaders(rawHeaders, this.requestId, rule.responseHeaders, extra),
    );
    this.#phase = STREAMING;
    this.#status = statusCode;
    this.#resume = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#discarding || this.res.write(chunk) || this.#phase !== STREAMING) return true;
    this.res.once('drain', this.#resume!);
    return false;
  }

  onComplete(): void {
    this.#settleAttempt(null);
    if (this.#phase === DONE) return;
    if (this.#discarding) {
      this.#discarding = false;
      this.#retry();
      return;
    }
    this.#phase = DONE;
    this.res.end();
    this.#finish(this.#status);
  }

  onError(error: Error): void {
    this.#settleAttempt(error);
    if (this.#phase === DONE) return;
    if (this.#discarding) {
      this.#discarding = false;
      this.#retry();
      return;
    }
    const failure = classifyUpstreamError(error);
    const kind = failureMetricKind(failure);
    if (kind !== null) {
      this.#recordFailure(this.#target!);
      this.#host.state.metrics?.upstreamErrors.add(1, this.rule!.metrics.upstreamErrors[kind]);
    }
    if (this.#phase === STREAMING) {
      // Response bytes already went out: all that can be said is that the response broke off.
      this.#phase = DONE;
      this.res.destroy();
      this.#finish(this.#status);
      return;
    }
    if (this.#mayRetryAfter(failure)) {
      this.#retry();
      return;
    }
    this.#phase = DONE;
    this.#reply(replyFor(failure), null);
  }

  /** The request timeout fired. */
  expire(): void {
    this.#deadline = null;
    if (this.#phase === DONE) return;
    const streaming = this.#phase === STREAMING;
    this.#phase = DONE;
    this.#cancelUpstream(DEADLINE_PASSED);
    if (streaming) {
      this.res.destroy();
      this.#finish(this.#status);
    } else {
      this.#reply(Replies.upstreamTimeout, null);
    }
  }

  /** The client connection closed (after the response, or before: then the upstream is aborted). */
  clientClosed(): void {
    if (this.#phase === DONE) return;
    this.#phase = DONE;
    this.#cancelUpstream(CLIENT_GONE);
    this.#finish(CLIENT_CLOSED);
  }

  /** The precise per-attempt timer fired before response headers. */
  attemptTimedOut(): void {
    this.#attemptTimer = null;
    const abort = this.#abort;
    if (abort !== null && this.#phase === UPSTREAM) {
      this.#abort = null;
      abort(ATTEMPT_TIMED_OUT);
    }
  }

  retryNow(): void {
    this.#retryTimer = null;
    if (this.#phase !== DONE) this.#dispatch();
  }

  #clearAttemptTimer(): void {
    clearTimeout(this.#attemptTimer!);
    this.#attemptTimer = null;
  }

  #settleAttempt(error: Error | null): void {
    this.#abort = null;
    if (this.#attemptTimer !== null) this.#clearAttemptTimer();
    const backend = this.#target;
    if (backend !== null) backend.health.inflight--;
    const span = this.#attemptSpan;
    if (span !== null) {
      this.#attemptSpan = null;
      endAttemptSpan(span, this.#attemptStatus, error === null ? null : attemptErrorType(error));
    }
  }

  /** Tracing only: the CLIENT span of the attempt about to start, and its `traceparent` upstream. */
  #traceAttempt(backend: BackendTarget): void {
    const tracer = this.#host.state.tracer!;
    const span = startAttemptSpan(tracer, this.#span!, this.method, backend, this.#path, this.#attempt);
    this.#attemptSpan = span;
    this.#attemptStatus = 0;
    this.#traceparentAt = setTraceparent(this.#upstreamHeaders, this.#traceparentAt, span);
  }

  #recordFailure(backend: BackendTarget): void {
    const rule = this.rule!;
    const state = this.#host.state;
    if (backend.health.recordFailure(state.clock(), rule.failuresToEject, rule.ejectionMs)) {
      state.metrics?.recordEjection(backend.id);
    }
  }

  #mayRetryAfter(failure: UpstreamFailure): boolean {
    switch (failure) {
      case UpstreamFailure.Connect:
      case UpstreamFailure.ConnectTimeout:
      case UpstreamFailure.Reset:
        return this.#canRetry();
      case UpstreamFailure.Timeout:
        // A per-attempt timeout counts as a 504 from the upstream.
        return this.rule!.retriesStatus(504) && IDEMPOTENT.has(this.method) && this.#canRetry();
      default:
        return false;
    }
  }

  /**
   * Whether another attempt may follow: attempts left, the body can be sent again, and the
   * jittered backoff (drawn here) ends before the request timeout.
   */
  #canRetry(): boolean {
    const rule = this.rule!;
    if (this.#attempt >= rule.retryAttempts) return false;
    if (this.#bodyIsStream && this.req.readableDidRead) return false;
    const state = this.#host.state;
    // Full jitter (as Envoy): the n-th retry waits up to base * (2^n - 1), capped at 10 * base.
    const upper = Math.min(rule.retryBackoffMs * (2 ** (this.#attempt + 1) - 1), rule.retryBackoffMs * 10);
    this.#nextDelay = Math.floor(state.random() * upper);
    return rule.requestMs <= 0 || state.clock() - this.#startedAt + this.#nextDelay < rule.requestMs;
  }

  #retry(): void {
    this.#attempt++;
    this.#failed = this.#target;
    this.#phase = PENDING;
    this.#host.state.metrics?.upstreamRetries.add(1, this.rule!.metrics.rule);
    this.#retryTimer = setTimeout(onRetryTimer, this.#nextDelay, this);
  }

  #cancelUpstream(reason: Error): void {
    const abort = this.#abort;
    if (abort !== null) {
      this.#abort = null;
      abort(reason);
    }
    if (this.#retryTimer !== null) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
  }

  /** The AI handler is done with this request (`AIExchangeContext`); `status` is what it sent. */
  aiFinished(status: number): void {
    this.#phase = DONE;
    this.#finish(status);
  }

  /** Answers before any routing state exists to clean up. */
  #reject(reply: ErrorReply, extra: readonly string[] | null): void {
    this.#phase = DONE;
    this.#reply(reply, extra);
  }

  #reply(reply: ErrorReply, extra: readonly string[] | null): void {
    this.#replied = reply;
    // AI rules answer in the client's API format (OpenAI or Anthropic errors), issue 3.
    const ai = this.rule === null ? null : this.rule.ai;
    if (ai !== null) ai.sendRuntimeError(this, reply, this.requestId, extra);
    else sendErrorReply(this.res, reply, this.requestId, extra);
    this.#finish(reply.status);
  }

  #finish(status: number): void {
    if (this.#deadline !== null) {
      clearTimeout(this.#deadline);
      this.#deadline = null;
    }
    const state = this.#host.state;
    const metrics = state.metrics;
    if (metrics !== null) {
      const ruleMetrics =
        this.rule === null ? (unmatchedMetrics ??= new RuleMetrics('', '')) : this.rule.metrics;
      const seconds = (state.clock() - this.#startedAt) / 1000;
      metrics.recordDuration(seconds, ruleMetrics.byStatusClass[RuntimeMetrics.statusClass(status)]!);
    }
    if (this.#span !== null) {
      endRequestSpan(this.#span, status, this.#replied === null ? null : this.#replied.code);
      this.#span = null;
    }
    this.#host.exchangeEnded();
  }
}

/** The `error.type` of a failed attempt: the failure kind, or why the gateway cancelled it. */
function attemptErrorType(error: Error): string {
  if (error === CLIENT_GONE) return 'client_closed';
  if (error === DEADLINE_PASSED) return 'timeout';
  return failureMetricKind(classifyUpstreamError(error)) ?? '_OTHER';
}

function replyFor(failure: UpstreamFailure): ErrorReply {
  switch (failure) {
    case UpstreamFailure.Connect:
      return Replies.upstreamConnect;
    case UpstreamFailure.ConnectTimeout:
    case UpstreamFailure.Timeout:
      return Replies.upstreamTimeout;
    case UpstreamFailure.Invalid:
      return Replies.unforwardable;
    default:
      return Replies.upstreamReset;
  }
}
