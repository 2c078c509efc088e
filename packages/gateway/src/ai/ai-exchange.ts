import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  OpenAIStreamPassthrough,
  ZERO_USAGE,
  adapters,
  checkCapabilities,
  computeCost,
  estimateRequestTokens,
  passThroughOpenAIChatCompletion,
  parseAnthropicRequest,
  parseOpenAIChatRequest,
  parseOpenAIEmbeddingsRequest,
  renderAnthropicCountTokens,
  renderAnthropicMessage,
  renderAnthropicModels,
  renderOpenAIChatCompletion,
  renderOpenAIEmbeddings,
  renderOpenAIModels,
} from '@hubpo/ai-providers';
import type {
  ChatRequest,
  ChatResponse,
  Cost,
  Credentials,
  EmbeddingsRequest,
  EmbeddingsResponse,
  HttpRequestSpec,
  ModelInfo,
  OpenAICompletionPassthrough,
  ResponseContext,
  Usage,
} from '@hubpo/ai-providers';
import { HubpoError } from '@hubpo/core';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { rateLimitHeaders } from '../runtime/admission.js';
import type { HeaderModifier } from '../runtime/header-modifier.js';
import type { RateLimiter } from '../runtime/rate-limiter.js';
import type { TokenBucket } from '../runtime/token-bucket.js';
import { AIEndpoint, endpointMethod, formatOf, resolveEndpoint } from './ai-endpoint.js';
import type { IngressFormat } from './ai-endpoint.js';
import type { GenAIOperation } from './ai-metrics.js';
import type { AIModelRuntime } from './ai-model-runtime.js';
import type { AIRequestPolicy, AIRequestPolicyFacts } from './ai-request-policy.js';
import { aiResponseHeaders } from './ai-response-headers.js';
import type { AIRouter } from './ai-router.js';
import type { AITarget } from './ai-target.js';
import { usageRecordId } from './usage-record-id.js';
import { AttemptTimeout, FailureAction, classifyAttemptFailure } from './attempt-failure.js';
import type { AttemptFailure } from './attempt-failure.js';
import { buildUsageRecord } from './build-usage-record.js';
import { renderAIError } from './render-ai-error.js';
import { splitUrl } from './split-url.js';
import { StreamRelay } from './stream-relay.js';
import type { ChatStreamRelay } from './stream-relay.js';
import { UpstreamCall } from './upstream-call.js';

/** What the AI handler needs from the runtime's request exchange (`ProxyExchange` implements it). */
export interface AIExchangeContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** The consumer key auth identified, null when anonymous. */
  readonly consumer: { readonly id: string } | null;
  /** The tightest rate-limit bucket after admission, for `RateLimit-*` headers. */
  readonly limiter: RateLimiter | null;
  readonly bucket: TokenBucket | null;
  /** Called exactly once when the AI handler is done with the request, with the status sent. */
  aiFinished(status: number): void;
}

/** What the exchange needs from the AI rule it runs under. */
export interface AIRuleView {
  readonly router: AIRouter;
  readonly routeId: string;
  /** AIModel names the rule serves; null: all. */
  readonly models: ReadonlySet<string> | null;
  readonly responseHeaders: HeaderModifier | null;
}

/** Pseudo-status of a request whose client went away before any response byte (nginx's 499). */
const CLIENT_CLOSED = 499;
const CLIENT_GONE = new Error('the client closed the connection');
const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream; charset=utf-8';
const NO_WARNINGS: readonly string[] = Object.freeze([]);

const kExchange = Symbol('hubpo.ai.exchange');
type TrackedResponse = ServerResponse & { [kExchange]?: AIExchange };

function onResponseClose(this: ServerResponse): void {
  (this as TrackedResponse)[kExchange]?.clientClosed();
}
function onAttemptTimer(exchange: AIExchange, kind: AttemptTimeout): void {
  exchange.attemptTimedOut(kind);
}

/** The outcome of one attempt: null when the request is settled (answered, broken off or abandoned). */
type Outcome = AttemptFailure | null;

/**
 * One AI request, from the path relative to the AI rule to the usage record: read and parse the
 * body in the client's format, resolve and authorize the model, try the targets the model's
 * strategy orders (retries with backoff on the same target, then fallback; breakers consulted),
 * translate through the target's adapter, relay the answer (streams chunk by chunk, committed
 * only once the first answer event arrived, so a stream can still fall back before its first
 * byte), and record usage, cost, metrics and a span. Never throws; `AIExchangeContext.aiFinished`
 * is called exactly once.
 */
export class AIExchange {
  readonly #rule: AIRuleView;
  readonly #router: AIRouter;
  readonly #ctx: AIExchangeContext;
  readonly #res: ServerResponse;
  readonly #path: string;
  readonly #startedAt: number;
  readonly #startedAtUnixMs: number;
  #format: IngressFormat = 'openai';
  #recordUsage = false;
  #operation: GenAIOperation = 'chat';
  #modelName = '';
  #stream = false;
  #target: AITarget | null = null;
  #warnings: readonly string[] = NO_WARNINGS;
  #usage: Usage | null = null;
  #cost: Cost | null = null;
  #firstTokenAt = -1;
  #status = 0;
  #error: HubpoError | null = null;
  #aborted = false;
  #committed = false;
  #ended = false;
  #controller: UpstreamCall | null = null;
  #dispatched = false;
  #timedOut: AttemptTimeout | null = null;
  #requestTimer: NodeJS.Timeout | null = null;
  #firstTokenTimer: NodeJS.Timeout | null = null;
  #wake: (() => void) | null = null;
  #span: Span | null = null;
  #attemptSpan: Span | null = null;
  /** AI logging / pass-through policies of this request; null when none applies (the usual case). */
  #policy: AIRequestPolicy | null = null;

  constructor(rule: AIRuleView, ctx: AIExchangeContext, path: string) {
    this.#rule = rule;
    this.#router = rule.router;
    this.#ctx = ctx;
    this.#res = ctx.res;
    this.#path = path;
    this.#startedAt = rule.router.clock();
    this.#startedAtUnixMs = Date.now();
  }

  start(): void {
    (this.#res as TrackedResponse)[kExchange] = this;
    this.#res.on('close', onResponseClose);
    try {
      this.#dispatch();
    } catch (err) {
      this.#crashed(err);
    }
  }

  #dispatch(): void {
    const resolved = resolveEndpoint(this.#path);
    this.#format = formatOf(resolved?.endpoint ?? null, this.#ctx.req.headers['anthropic-version']);
    if (resolved === null) {
      this.#fail(new HubpoError('NOT_FOUND', `no AI API at ${this.#path}`));
      return;
    }
    const method = endpointMethod(resolved.endpoint);
    if (this.#ctx.req.method !== method) {
      this.#fail(new HubpoError('METHOD_NOT_ALLOWED', `use ${method} for ${this.#path}`), ['allow', method]);
      return;
    }
    switch (resolved.endpoint) {
      case AIEndpoint.Models:
        this.#listModels();
        return;
      case AIEndpoint.Model:
        this.#getModel(resolved.modelId);
        return;
      default:
        this.#run(resolved.endpoint).catch((err: unknown) => this.#crashed(err));
    }
  }

  /** The response closed: after the end that is normal; before it, the client went away. */
  clientClosed(): void {
    if (this.#ended || this.#res.writableFinished) return;
    this.#aborted = true;
    this.#controller?.abort(CLIENT_GONE);
    this.#wakeUp();
  }

  /** A per-attempt timer fired (first token or whole call). */
  attemptTimedOut(kind: AttemptTimeout): void {
    if (this.#controller === null) return;
    this.#timedOut = kind;
    this.#controller.abort(new Error('attempt timeout'));
  }

  // ---- endpoints -------------------------------------------------------------------------

  async #run(endpoint: AIEndpoint): Promise<void> {
    this.#recordUsage = endpoint !== AIEndpoint.CountTokens;
    this.#operation = endpoint === AIEndpoint.Embeddings ? 'embeddings' : 'chat';
    const body = await this.#readBody();
    if (body === null) {
      if (this.#aborted) this.#end(CLIENT_CLOSED);
      return;
    }
    if (endpoint === AIEndpoint.Embeddings) {
      const req = this.#parse(() => parseOpenAIEmbeddingsRequest(body));
      const model = req === null ? null : this.#resolveModel(req.model);
      if (req !== null && model !== null) await this.#embeddings(model, req);
      return;
    }
    const req = this.#parse(() =>
      endpoint === AIEndpoint.ChatCompletions
        ? parseOpenAIChatRequest(body)
        : parseAnthropicRequest(body, { requireMaxTokens: endpoint !== AIEndpoint.CountTokens }),
    );
    if (req === null) return;
    this.#stream = req.stream && endpoint !== AIEndpoint.CountTokens;
    const model = this.#resolveModel(req.model);
    if (model === null) return;
    if (endpoint === AIEndpoint.CountTokens) {
      this.#sendJson(JSON.stringify(renderAnthropicCountTokens(estimateRequestTokens(req))), null);
      return;
    }
    const limited = this.#applyLimits(model, req, body.length);
    if (limited !== null) await this.#chat(model, limited);
  }

  #listModels(): void {
    const consumer = this.#ctx.consumer;
    const models = this.#router.usable(this.#rule.models, consumer === null ? null : consumer.id);
    const infos: ModelInfo[] = models.map((m) => ({ id: m.name, created: m.created, ownedBy: 'hubpo' }));
    const body = this.#format === 'openai' ? renderOpenAIModels(infos) : renderAnthropicModels(infos);
    this.#sendJson(JSON.stringify(body), null);
  }

  #getModel(id: string): void {
    const model = this.#resolveModel(id);
    if (model === null) return;
    const info: ModelInfo = { id: model.name, created: model.created, ownedBy: 'hubpo' };
    const list = this.#format === 'openai' ? renderOpenAIModels([info]) : renderAnthropicModels([info]);
    this.#sendJson(JSON.stringify((list['data'] as unknown[])[0]), null);
  }

  #parse<T extends { readonly model: string }>(parse: () => T): T | null {
    try {
      const req = parse();
      this.#modelName = req.model;
      return req;
    } catch (err) {
      this.#fail(HubpoError.from(err, 'BAD_REQUEST'));
      return null;
    }
  }

  /** The model named `name` if the rule serves it and the consumer may use it; else answers 404 / 403. */
  #resolveModel(name: string): AIModelRuntime | null {
    const router = this.#router;
    const model = router.models.get(name);
    if (model === undefined || !router.mayUse(this.#rule.models, null, name)) {
      this.#fail(
        new HubpoError(
          'MODEL_NOT_FOUND',
          `The model \`${name}\` does not exist or you do not have access to it.`,
          {
            issues: [{ path: '/model', message: 'unknown model' }],
          },
        ),
      );
      return null;
    }
    const consumer = this.#ctx.consumer;
    if (consumer !== null && !router.mayUse(null, consumer.id, name)) {
      this.#fail(
        new HubpoError('MODEL_NOT_ALLOWED', `this consumer may not use the model \`${name}\``, {
          issues: [{ path: '/model', message: 'not allowed for this consumer' }],
        }),
      );
      return null;
    }
    const policies = router.policies;
    if (policies !== null)
      this.#policy = policies.forRequest(this.#policyFacts(), model.id, this.#ctx.req.headers);
    return model;
  }

  /**
   * The model's limits: `max_tokens` above `maxOutputTokens` is refused (Reject) or lowered with
   * a warning (Drop); a prompt over `contextWindow` tokens is refused before any provider call.
   * The tokenizer only runs when the body has more bytes than the window has tokens (a token is
   * at least one byte of the JSON body), so small prompts cost nothing.
   */
  #applyLimits(model: AIModelRuntime, req: ChatRequest, bodyBytes: number): ChatRequest | null {
    let out = req;
    const limit = model.maxOutputTokens;
    if (limit !== null && req.maxTokens !== undefined && req.maxTokens > limit) {
      if (model.policy === 'reject') {
        this.#fail(
          new HubpoError(
            'BAD_REQUEST',
            `max_tokens ${req.maxTokens} exceeds this model's limit of ${limit}`,
            {
              issues: [{ path: '/max_tokens', message: `must be <= ${limit}` }],
            },
          ),
        );
        return null;
      }
      out = { ...req, maxTokens: limit };
      this.#warnings = ['maxOutputTokens'];
    }
    const window = model.contextWindow;
    if (window !== null && bodyBytes > window) {
      const tokens = estimateRequestTokens(out);
      if (tokens > window) {
        this.#fail(
          new HubpoError(
            'CONTEXT_LENGTH_EXCEEDED',
            `the prompt has about ${tokens} tokens; this model's context window is ${window}`,
            { issues: [{ path: '/messages', message: 'too long' }] },
          ),
        );
        return null;
      }
    }
    return out;
  }

  // ---- routing: strategy order, breakers, retries, fallback ------------------------------------

  async #chat(model: AIModelRuntime, req: ChatRequest): Promise<void> {
    const prepared = new Map<AITarget, { request: ChatRequest; warnings: readonly string[] }>();
    if (this.#policy !== null && this.#policy.logs) this.#policy.request = req;
    await this.#route(
      model,
      (target) => {
        const check = checkCapabilities(req, target.capabilities, model.policy, target.adapter.family);
        const warnings =
          check.warnings.length === 0
            ? this.#warnings
            : [...this.#warnings, ...check.warnings.map((w) => w.feature)];
        prepared.set(target, { request: check.request, warnings });
      },
      (target) => {
        const { request, warnings } = prepared.get(target)!;
        this.#warnings = warnings;
        return this.#chatAttempt(model, target, request);
      },
    );
  }

  async #embeddings(model: AIModelRuntime, req: EmbeddingsRequest): Promise<void> {
    await this.#route(
      model,
      (target) => {
        if (!target.embeddings)
          throw new HubpoError('UNSUPPORTED_FEATURE', `the target ${target.name} does not serve embeddings`);
      },
      (target) => this.#embeddingsAttempt(model, target, req),
    );
  }

  /**
   * Tries the targets in the strategy's order. `prepare` throws when a target cannot carry the
   * request (under Reject: the next target that can is used). Each target gets up to
   * `retry.attempts` retries (exponential backoff with jitter) on retryable failures; a 429,
   * connect failure, timeout or misconfigured target moves on at once; a failure the client
   * caused is answered at once. A target whose breaker is open is skipped.
   */
  async #route(
    model: AIModelRuntime,
    prepare: (target: AITarget) => void,
    attempt: (target: AITarget) => Promise<Outcome>,
  ): Promise<void> {
    this.#startSpan(model);
    if (model.targets.length === 0) {
      this.#fail(new HubpoError('UNAVAILABLE', `no target of model \`${model.name}\` is available`));
      return;
    }
    let lastFailure: AttemptFailure | null = null;
    let unsupported: HubpoError | null = null;
    let breakerWaitMs = Number.POSITIVE_INFINITY;
    for (const target of model.plan(Date.now(), this.#router.random)) {
      try {
        prepare(target);
      } catch (err) {
        unsupported ??= HubpoError.from(err, 'UNSUPPORTED_FEATURE');
        continue;
      }
      for (let retry = 0; ; retry++) {
        const breaker = target.state.breaker;
        const now = this.#router.clock();
        if (!breaker.tryAcquire(now)) {
          breakerWaitMs = Math.min(breakerWaitMs, breaker.retryInMs(now));
          break;
        }
        const failure = await attempt(target);
        if (failure === null) return;
        if (this.#aborted) return this.#end(this.#committed ? this.#status : CLIENT_CLOSED);
        lastFailure = failure;
        if (failure.action === FailureAction.Final) return this.#fail(failure.error);
        if (failure.action !== FailureAction.RetrySame || retry >= model.retryAttempts) break;
        await this.#sleep(backoffMs(model.retryBackoffMs, retry, this.#router.random));
        if (this.#aborted) return this.#end(CLIENT_CLOSED);
      }
    }
    if (lastFailure !== null) return this.#fail(lastFailure.error);
    if (unsupported !== null) return this.#fail(unsupported);
    const seconds = Math.max(1, Math.ceil(breakerWaitMs / 1000));
    this.#fail(
      new HubpoError('CIRCUIT_OPEN', `every target of model \`${model.name}\` is failing; try again later`, {
        details: { retryAfterMs: seconds * 1000 },
      }),
    );
  }

  // ---- attempts ----------------------------------------------------------------------------

  async #chatAttempt(model: AIModelRuntime, target: AITarget, request: ChatRequest): Promise<Outcome> {
    const startedAt = this.#beginAttempt(model, target, request.stream);
    try {
      if (target.local) return this.#mockChat(target, request, startedAt);
      const ctx = { requestId: this.#ctx.requestId, now: Date.now(), request };
      const spec = target.adapter.buildRequest(request, target.config, {
        credentials: this.#credentials(target),
        requestId: this.#ctx.requestId,
        now: ctx.now,
      });
      this.#dispatched = true;
      const response = await this.#send(target, spec);
      if (response.statusCode < 200 || response.statusCode >= 300) {
        const body = await response.body.bytes();
        throw target.adapter.parseError(response.statusCode, response.headers, body);
      }
      if (!request.stream) {
        const body = await response.body.bytes();
        const relayed = this.#completionPassthrough(target, body);
        if (relayed !== null) {
          this.#succeeded(target, startedAt);
          this.#sendRelayedChat(target, relayed);
          return null;
        }
        const parsed = target.adapter.parseResponse(response.statusCode, response.headers, body, ctx);
        this.#succeeded(target, startedAt);
        this.#sendChat(target, parsed);
        return null;
      }
      return await this.#relay(target, this.#streamRelay(target, request, ctx), response.body, startedAt);
    } catch (err) {
      return this.#attemptFailed(target, err, request);
    } finally {
      this.#endAttempt();
    }
  }

  async #embeddingsAttempt(
    model: AIModelRuntime,
    target: AITarget,
    req: EmbeddingsRequest,
  ): Promise<Outcome> {
    const startedAt = this.#beginAttempt(model, target, false);
    try {
      let result: EmbeddingsResponse;
      if (target.local) {
        result = adapters.mock.respondEmbeddings(req);
      } else {
        const spec = target.adapter.buildEmbeddingsRequest!(req, target.config, {
          credentials: this.#credentials(target),
          requestId: this.#ctx.requestId,
          now: Date.now(),
        });
        this.#dispatched = true;
        const response = await this.#send(target, spec);
        const body = await response.body.bytes();
        if (response.statusCode < 200 || response.statusCode >= 300)
          throw target.adapter.parseError(response.statusCode, response.headers, body);
        result = target.adapter.parseEmbeddingsResponse!(response.statusCode, response.headers, body, {
          request: req,
        });
      }
      this.#succeeded(target, startedAt);
      this.#usage = result.usage;
      this.#cost = computeCost(result.usage, target.prices.at(Date.now()));
      const body = JSON.stringify(renderOpenAIEmbeddings(result, req.encodingFormat, this.#modelName));
      this.#sendJson(body, target);
      return null;
    } catch (err) {
      return this.#attemptFailed(target, err, null);
    } finally {
      this.#endAttempt();
    }
  }

  /** The built-in mock answers in-process (no network): same path as a provider minus the HTTP. */
  #mockChat(target: AITarget, request: ChatRequest, startedAt: number): Outcome {
    const ctx = { credentials: this.#credentials(target), requestId: this.#ctx.requestId, now: Date.now() };
    if (!request.stream) {
      const response = adapters.mock.respond(request, ctx); // throws the mock's provider errors
      this.#succeeded(target, startedAt);
      this.#sendChat(target, response);
      return null;
    }
    const events = adapters.mock.respondStream(request, ctx);
    const relay = new StreamRelay(this.#format, request, this.#modelName);
    const out = relay.feed(events);
    if (out.error !== null) throw out.error;
    const tail = relay.flush();
    this.#writeStream(target, out.committed || tail.committed, out.text + tail.text);
    this.#succeeded(target, startedAt);
    this.#finishStream(target, relay);
    return null;
  }

  /**
   * Relays an upstream stream: decoded, rendered in the client's format, written as each
   * upstream chunk arrives (a full client socket pauses the upstream read). Failures before the
   * commit are returned (the attempt may fall back); after it they end the stream with the
   * ingress's error event.
   */
  async #relay(
    target: AITarget,
    relay: ChatStreamRelay,
    body: AsyncIterable<Buffer>,
    startedAt: number,
  ): Promise<Outcome> {
    try {
      for await (const chunk of body) {
        const out = relay.push(chunk);
        if (out.error !== null) throw out.error;
        if (out.text !== '' && !this.#writeStream(target, out.committed, out.text)) await this.#drain();
      }
      const out = relay.end();
      if (out.error !== null) throw out.error;
      const tail = relay.flush();
      this.#writeStream(target, out.committed || tail.committed, out.text + tail.text);
    } catch (err) {
      if (!relay.committed) {
        if (this.#aborted) this.#usage = relay.usage(); // the provider had started on the prompt
        throw err;
      }
      return this.#streamBroke(target, relay, err);
    }
    if (relay.failedAfterCommit === null) this.#succeeded(target, startedAt);
    else this.#countFailure(target, classifyAttemptFailure(relay.failedAfterCommit, null));
    this.#finishStream(target, relay);
    return null;
  }

  /**
   * An OpenAI client on an OpenAI-dialect target gets the provider's chunks nearly as they are
   * (model renamed, unrequested usage dropped); every other pair is decoded and re-rendered.
   */
  #streamRelay(target: AITarget, request: ChatRequest, ctx: ResponseContext): ChatStreamRelay {
    if (this.#format === 'openai' && target.openAIPassthrough)
      return new OpenAIStreamPassthrough({
        provider: target.adapter.id,
        model: this.#modelName,
        includeUsage: request.streamOptions.includeUsage,
        request,
      });
    return new StreamRelay(this.#format, request, this.#modelName, target.adapter.createStreamDecoder(ctx));
  }

  /** A committed stream broke (client gone, timeout, upstream reset or error): end it and record. */
  #streamBroke(target: AITarget, relay: ChatStreamRelay, err: unknown): Outcome {
    if (this.#aborted) {
      target.state.breaker.release();
      this.#finishStream(target, relay);
      return null;
    }
    const failure = classifyAttemptFailure(err, this.#timedOut);
    this.#countFailure(target, failure);
    if (!this.#res.destroyed) this.#res.write(relay.renderError(failure.error));
    this.#finishStream(target, relay);
    return null;
  }

  /** Ends a committed stream: usage from the relay (estimated where the provider sent none). */
  #finishStream(target: AITarget, relay: ChatStreamRelay): void {
    if (this.#policy !== null && this.#policy.logs) this.#policy.response = relay.response();
    this.#usage = relay.usage();
    this.#cost = computeCost(this.#usage, target.prices.at(Date.now()));
    const failed = relay.failedAfterCommit;
    if (failed !== null) this.#error = failed;
    if (!this.#aborted && !this.#res.destroyed) this.#res.end();
    this.#end(this.#status);
  }

  /**
   * A failed attempt before the commit. When the client went away the request ends here (the
   * breaker learns nothing); a chat call the provider had received is billed for its prompt at
   * least, so its input tokens are estimated unless the stream already reported them.
   */
  #attemptFailed(target: AITarget, err: unknown, request: ChatRequest | null): Outcome {
    if (this.#aborted) {
      target.state.breaker.release();
      if (this.#usage === null && this.#dispatched && request !== null) {
        this.#usage = { ...ZERO_USAGE, inputTokens: estimateRequestTokens(request), estimated: true };
        this.#cost = computeCost(this.#usage, target.prices.at(Date.now()));
      }
      this.#end(CLIENT_CLOSED);
      return null;
    }
    const failure = classifyAttemptFailure(err, this.#timedOut);
    this.#countFailure(target, failure);
    if (this.#attemptSpan !== null) {
      this.#attemptSpan.setAttribute('error.type', failure.error.code);
      this.#attemptSpan.setStatus({ code: SpanStatusCode.ERROR, message: failure.error.code });
    }
    return failure;
  }

  #beginAttempt(model: AIModelRuntime, target: AITarget, stream: boolean): number {
    this.#target = target;
    this.#timedOut = null;
    this.#dispatched = false;
    this.#controller = new UpstreamCall();
    if (model.requestMs > 0)
      this.#requestTimer = setTimeout(onAttemptTimer, model.requestMs, this, AttemptTimeout.Request);
    if (stream && model.firstTokenMs > 0)
      this.#firstTokenTimer = setTimeout(onAttemptTimer, model.firstTokenMs, this, AttemptTimeout.FirstToken);
    this.#attemptSpan = this.#startAttemptSpan(target);
    return this.#router.clock();
  }

  #endAttempt(): void {
    this.#clearAttemptTimers();
    this.#controller = null;
    const span = this.#attemptSpan;
    this.#attemptSpan = null;
    if (span !== null) span.end();
  }

  #clearAttemptTimers(): void {
    if (this.#requestTimer !== null) {
      clearTimeout(this.#requestTimer);
      this.#requestTimer = null;
    }
    this.#clearFirstTokenTimer();
  }

  #clearFirstTokenTimer(): void {
    if (this.#firstTokenTimer !== null) {
      clearTimeout(this.#firstTokenTimer);
      this.#firstTokenTimer = null;
    }
  }

  #credentials(target: AITarget): Credentials {
    return this.#policy === null ? target.credentials : this.#policy.credentials(target);
  }

  #policyFacts(): AIRequestPolicyFacts {
    const consumer = this.#ctx.consumer;
    return {
      requestId: this.#ctx.requestId,
      routeId: this.#rule.routeId,
      consumerId: consumer === null ? null : consumer.id,
    };
  }

  #send(target: AITarget, spec: HttpRequestSpec): Promise<UpstreamCall> {
    const { origin, path } = splitUrl(spec.url);
    const pool = target.pools.get(origin);
    if (pool === undefined)
      throw new HubpoError('INTERNAL', 'the adapter built a URL outside its compiled origins');
    return this.#controller!.start(pool.dispatcher, {
      path,
      method: spec.method,
      headers: spec.headers,
      body: spec.body,
    });
  }

  #succeeded(target: AITarget, startedAt: number): void {
    target.state.breaker.success();
    const now = this.#router.clock();
    target.state.latency.record(this.#firstTokenAt >= 0 ? this.#firstTokenAt - startedAt : now - startedAt);
  }

  #countFailure(target: AITarget, failure: AttemptFailure): void {
    if (failure.countsAgainstTarget) target.state.breaker.failure(this.#router.clock());
    else target.state.breaker.success(); // the target answered; the request was at fault
  }

  // ---- responses ----------------------------------------------------------------------------

  #sendChat(target: AITarget, response: ChatResponse): void {
    this.#usage = response.usage;
    if (this.#policy !== null && this.#policy.logs) this.#policy.response = response;
    this.#cost = computeCost(response.usage, target.prices.at(Date.now()));
    const body =
      this.#format === 'openai'
        ? renderOpenAIChatCompletion(response, { model: this.#modelName })
        : renderAnthropicMessage(response, { model: this.#modelName });
    this.#sendJson(JSON.stringify(body), target);
  }

  /**
   * The same-format fast path of a non-streaming answer: an OpenAI client on an OpenAI-dialect
   * target gets the provider's body with the model renamed (null: take the parse-and-render path,
   * also whenever a policy logs the answer, which needs it decoded).
   */
  #completionPassthrough(target: AITarget, body: Uint8Array): OpenAICompletionPassthrough | null {
    if (this.#format !== 'openai' || !target.openAIPassthrough) return null;
    if (this.#policy !== null && this.#policy.logs) return null;
    return passThroughOpenAIChatCompletion(body, this.#modelName);
  }

  #sendRelayedChat(target: AITarget, relayed: OpenAICompletionPassthrough): void {
    this.#usage = relayed.usage;
    this.#cost = computeCost(relayed.usage, target.prices.at(Date.now()));
    this.#sendJson(relayed.body, target);
  }

  #sendJson(body: string, target: AITarget | null): void {
    if (this.#aborted) return this.#end(CLIENT_CLOSED);
    const headers = this.#headers(JSON_TYPE, target, false);
    headers.push('content-length', String(Buffer.byteLength(body)));
    this.#committed = true;
    this.#status = 200;
    if (this.#operation === 'chat' && this.#recordUsage) this.#firstTokenAt = this.#router.clock();
    this.#res.writeHead(200, headers);
    this.#res.end(body);
    this.#end(200);
  }

  /** Writes stream text (the head first when this commits); returns false when the socket is full. */
  #writeStream(target: AITarget, commits: boolean, text: string): boolean {
    if (this.#aborted || this.#res.destroyed) return true;
    if (commits && !this.#committed) {
      this.#committed = true;
      this.#status = 200;
      this.#firstTokenAt = this.#router.clock();
      this.#clearFirstTokenTimer();
      this.#res.writeHead(200, this.#headers(SSE_TYPE, target, true));
    }
    return text === '' || this.#res.write(text);
  }

  #headers(contentType: string, target: AITarget | null, streaming: boolean): string[] {
    const ctx = this.#ctx;
    const priced = target === null || target.prices.at(Date.now()) !== null;
    return aiResponseHeaders(
      {
        requestId: ctx.requestId,
        contentType,
        model: this.#modelName === '' ? null : this.#modelName,
        target,
        warnings: this.#warnings,
        usage: streaming ? null : this.#usage,
        cost: streaming ? null : this.#cost,
        unpriced: this.#recordUsage && !priced,
        streaming,
      },
      ctx.limiter === null ? null : rateLimitHeaders(ctx.limiter, ctx.bucket!, false),
      this.#rule.responseHeaders,
    );
  }

  /** Answers with an error in the client's format (unless the response is already committed). */
  #fail(error: HubpoError, extra: readonly string[] | null = null): void {
    this.#error = error;
    if (this.#aborted) return this.#end(CLIENT_CLOSED);
    if (this.#committed) return this.#end(this.#status);
    const shown = this.#policy === null ? error : this.#policy.scrub(error);
    const rendered = renderAIError(this.#format, shown, this.#ctx.requestId);
    const headers = this.#headers(JSON_TYPE, this.#target, false);
    for (const [name, value] of Object.entries(rendered.headers))
      if (name !== 'content-type') headers.push(name, value);
    if (extra !== null) for (const value of extra) headers.push(value);
    headers.push('content-length', String(Buffer.byteLength(rendered.body)));
    // Unread request bytes would be drained for nothing (a rejected upload): close instead.
    if (!this.#ctx.req.complete) headers.push('connection', 'close');
    this.#committed = true;
    this.#status = rendered.status;
    this.#res.writeHead(rendered.status, headers);
    this.#res.end(rendered.body);
    this.#end(rendered.status);
  }

  #crashed(err: unknown): void {
    if (this.#ended) return;
    if (this.#committed) {
      this.#res.destroy();
      this.#error = HubpoError.from(err);
      this.#end(this.#status);
      return;
    }
    this.#fail(HubpoError.from(err));
  }

  // ---- body, waits ------------------------------------------------------------------------------

  /** The request body, or null when it is too large (413 sent) or the client went away. */
  #readBody(): Promise<Buffer | null> {
    const req = this.#ctx.req;
    const max = this.#router.ai.maxBodyBytes;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > max) {
      this.#fail(tooLarge(max));
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      // Every listener comes off once settled: a keep-alive connection keeps its last request
      // object until the next one arrives, and a listener left on it would keep this whole
      // exchange (response, upstream call) alive that long, into the old generation of the heap.
      const settle = (value: Buffer | null): void => {
        if (settled) return;
        settled = true;
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        req.off('close', onClose);
        resolve(value);
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size <= max) {
          chunks.push(chunk);
          return;
        }
        req.pause();
        this.#fail(tooLarge(max));
        settle(null);
      };
      const onEnd = (): void => settle(Buffer.concat(chunks, size));
      const onError = (): void => settle(null);
      const onClose = (): void => settle(req.complete ? Buffer.concat(chunks, size) : null);
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
      req.on('close', onClose);
      this.#wake = () => settle(null);
    }).finally(() => {
      this.#wake = null;
    }) as Promise<Buffer | null>;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      this.#wake = null;
    });
  }

  /** Waits until the client socket drains, or the client goes away. */
  #drain(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#res.off('drain', done);
        resolve();
      };
      this.#res.on('drain', done);
      this.#wake = done;
    }).finally(() => {
      this.#wake = null;
    });
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    if (wake !== null) wake();
  }

  // ---- the end: usage record, metrics, span --------------------------------------------------

  /** Runs once: usage record, metrics, span, then the runtime's own bookkeeping. */
  #end(status: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#endAttempt();
    this.#status = status;
    const router = this.#router;
    const now = router.clock();
    const latencyMs = now - this.#startedAt;
    const ttftMs = this.#firstTokenAt < 0 ? null : this.#firstTokenAt - this.#startedAt;
    const error = this.#error;
    const target = this.#target;
    if (this.#recordUsage) {
      try {
        router.ai.usageSink.record(
          buildUsageRecord({
            requestId: usageRecordId(this.#ctx.requestId),
            startedAtUnixMs: this.#startedAtUnixMs,
            finishedAtUnixMs: this.#startedAtUnixMs + Math.round(latencyMs),
            consumer: this.#ctx.consumer === null ? null : this.#ctx.consumer.id,
            route: this.#rule.routeId,
            model: this.#modelName,
            target,
            usage: this.#usage,
            cost: this.#cost,
            latencyMs,
            timeToFirstTokenMs: ttftMs,
            statusCode: status,
            errorCode: error === null ? null : error.code,
            stream: this.#stream,
            aborted: this.#aborted,
          }),
        );
      } catch {
        // A sink must not throw (UsageSink contract); a faulty one must not break the request path.
      }
      this.#recordMetrics(target, latencyMs, ttftMs, error);
    }
    this.#endSpan(status, error);
    if (this.#policy !== null)
      this.#policy.finish({ model: this.#modelName, target, status, stream: this.#stream });
    this.#ctx.aiFinished(status);
  }

  #recordMetrics(
    target: AITarget | null,
    latencyMs: number,
    ttftMs: number | null,
    error: HubpoError | null,
  ): void {
    const metrics = this.#router.ai.metrics;
    if (metrics === null || target === null) return;
    const usage = this.#usage;
    const cost = this.#cost;
    metrics.record({
      attributes: target.attributes(this.#operation),
      inputTokens: usage === null ? 0 : usage.inputTokens,
      outputTokens: usage === null ? 0 : usage.outputTokens,
      durationS: latencyMs / 1000,
      timeToFirstTokenS: this.#stream && ttftMs !== null ? ttftMs / 1000 : -1,
      costUsd: usage === null || cost === null ? 0 : cost.priced ? cost.costMicroUsd / 1e6 : -1,
      errorCode: error === null ? (this.#aborted ? 'client_closed' : null) : error.code,
    });
  }

  #startSpan(model: AIModelRuntime): void {
    const tracer = this.#router.ai.tracer;
    if (tracer === null) return;
    this.#span = tracer.startSpan(`${this.#operation} ${model.name}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'gen_ai.operation.name': this.#operation,
        'gen_ai.request.model': model.name,
        'hubpo.request_id': this.#ctx.requestId,
        'hubpo.route': this.#rule.routeId,
        'hubpo.stream': this.#stream,
      },
    });
  }

  /** One span per upstream attempt, child of the request span (never carries prompts). */
  #startAttemptSpan(target: AITarget): Span | null {
    const tracer = this.#router.ai.tracer;
    if (tracer === null || this.#span === null) return null;
    return tracer.startSpan(
      `${this.#operation} ${target.config.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': this.#operation,
          'gen_ai.provider.name': target.provider,
          'gen_ai.request.model': target.config.model,
          'hubpo.target': target.name,
        },
      },
      trace.setSpan(context.active(), this.#span),
    );
  }

  #endSpan(status: number, error: HubpoError | null): void {
    const span = this.#span;
    if (span === null) return;
    const target = this.#target;
    const usage = this.#usage;
    if (target !== null) {
      span.setAttribute('gen_ai.provider.name', target.provider);
      span.setAttribute('gen_ai.response.model', target.config.model);
      span.setAttribute('hubpo.target', target.name);
    }
    if (usage !== null) {
      span.setAttribute('gen_ai.usage.input_tokens', usage.inputTokens);
      span.setAttribute('gen_ai.usage.output_tokens', usage.outputTokens);
    }
    if (this.#cost !== null && this.#cost.priced)
      span.setAttribute('hubpo.cost_usd', this.#cost.costMicroUsd / 1e6);
    span.setAttribute('http.response.status_code', status);
    if (this.#aborted) span.setAttribute('hubpo.aborted', true);
    if (error !== null) {
      span.setAttribute('error.type', error.code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
    }
    span.end();
  }
}

/** Exponential backoff with jitter: uniform in [d/2, d) where d = base * 2^retry, capped at 10 * base. */
export function backoffMs(base: number, retry: number, random: () => number): number {
  const ceiling = Math.min(base * 2 ** retry, base * 10);
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

function tooLarge(max: number): HubpoError {
  return new HubpoError('PAYLOAD_TOO_LARGE', `the request body is larger than ${max} bytes`);
}
