import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TargetConfig } from '@hubpo/ai-providers';
import { HubpoError, errorMessage } from '@hubpo/core';
import type { MockAnswerOptions } from './mock-answer.js';
import type { MockTokenCounts } from './mock-chat.js';
import type { MockProviderKind } from './mock-provider-kind.js';
import { mockProviderSpec } from './mock-provider-kind.js';
import type { MockExchange, MockReply, MockWire, MockWireRequest } from './mock-wire.js';
import { MockHttpError } from './mock-wire.js';

export interface MockProviderOptions extends MockAnswerOptions {
  /** Port on 127.0.0.1; a free one when omitted. */
  readonly port?: number;
  /** When set, requests must carry it the way the provider expects (else the provider's 401/403). */
  readonly apiKey?: string;
  /** Model ids listed by the models endpoints; default `['mock-model']`. */
  readonly models?: readonly string[];
  /** Embedding length when the request names none; default 8. */
  readonly embeddingDimensions?: number;
  /** Clock for `created` fields; `Date.now` by default. */
  readonly now?: () => number;
}

/** What the next failed requests answer (`failNext`). */
export interface MockFault {
  /** HTTP status; default 500. */
  readonly status?: number;
  /** Response body: a string is sent as is, anything else as JSON; default the provider's own error shape. */
  readonly body?: unknown;
  /** Message inside the default error body. */
  readonly message?: string;
  /** `retry-after` header: seconds, or a raw value such as an HTTP-date. */
  readonly retryAfter?: number | string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One request as received. */
export interface MockCall {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Header names in lower case, as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined when empty or not JSON. */
  readonly body: unknown;
  readonly rawBody: string;
  /** Status sent; undefined while the request hangs. */
  readonly status: number | undefined;
}

/** The server's own token counts of one model call (Hubpo convention, see `MockTokenCounts`). */
export interface MockUsageRecord extends MockTokenCounts {
  /** Index of the call in `calls`. */
  readonly call: number;
  readonly model: string;
  readonly stream: boolean;
  /** False when the provider's wire carries no usage for this call (e.g. Gemini embeddings). */
  readonly reported: boolean;
  /** True once the whole response was written; false while streaming, or when cut, hung or aborted. */
  readonly completed: boolean;
}

export interface MockProviderServer {
  readonly kind: MockProviderKind;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The adapter's `endpoint` for this server (`url` plus the provider's base path, e.g. `/v1`). */
  readonly endpoint: string;
  /** Every request received, in order (live array). */
  readonly calls: readonly MockCall[];
  /** The server's own token counts, one per answered model call (live array). */
  readonly usage: readonly MockUsageRecord[];
  /** An ai-providers target pointing at this server. */
  target(model?: string): TargetConfig;
  /** The next `count` requests (after those already queued) answer with `fault`. */
  failNext(count: number, fault?: MockFault): void;
  /**
   * From now on requests are accepted and never answered, or, with `afterChunks`, streamed
   * responses stop after that many chunks and stay open (non-streamed ones hang whole).
   */
  hang(options?: { readonly afterChunks?: number }): void;
  /** Wait `ms` between stream chunks (0: only yield between writes). */
  slowStream(ms: number): void;
  /** From now on streamed responses are cut (connection destroyed) after `afterChunks` chunks. */
  cutStream(afterChunks: number): void;
  /** Clears faults, hangs, pacing, and the recorded calls and usage. */
  reset(): void;
  /** Closes the listener and every connection (hung ones included). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 that speaks `kind`'s published wire format (see
 * `mock-provider-kind.ts` and the wire modules). Answers are deterministic: the last user text is
 * echoed (or `reply`), a tool is called when offered and asked for (`toolTrigger`), and usage comes
 * from the server's own count (see `mock-answer.ts`).
 */
export async function startMockProvider(
  kind: MockProviderKind,
  options: MockProviderOptions = {},
): Promise<MockProviderServer> {
  const server = new LocalMockProvider(kind, options);
  await server.listen(options.port ?? 0);
  return server;
}

interface MutableCall extends Omit<MockCall, 'status'> {
  status: number | undefined;
}

interface MutableUsage extends Omit<MockUsageRecord, 'completed'> {
  completed: boolean;
}

class LocalMockProvider implements MockProviderServer {
  readonly kind: MockProviderKind;
  readonly #options: MockProviderOptions;
  readonly #wire: MockWire;
  readonly #http = createServer({ noDelay: true }, (req, res) => this.#onRequest(req, res));
  readonly #sockets = new Set<Socket>();
  readonly #calls: MutableCall[] = [];
  readonly #usage: MutableUsage[] = [];
  #faults: MockFault[] = [];
  #faultHead = 0;
  #hang: { readonly afterChunks: number | undefined } | undefined;
  #cutAfter: number | undefined;
  #slowMs = 0;
  #port = 0;
  #stopping: Promise<void> | undefined;

  constructor(kind: MockProviderKind, options: MockProviderOptions) {
    this.kind = kind;
    this.#options = options;
    this.#wire = mockProviderSpec(kind).wire();
    this.#http.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  get endpoint(): string {
    return `${this.url}${mockProviderSpec(this.kind).endpointPath}`;
  }

  get calls(): readonly MockCall[] {
    return this.#calls;
  }

  get usage(): readonly MockUsageRecord[] {
    return this.#usage;
  }

  target(model = this.#options.models?.[0] ?? 'mock-model'): TargetConfig {
    return {
      provider: this.kind,
      model,
      endpoint: this.endpoint,
      ...(this.kind === 'bedrock' ? { region: 'us-east-1' } : {}),
    };
  }

  failNext(count: number, fault: MockFault = {}): void {
    for (let i = 0; i < count; i++) this.#faults.push(fault);
  }

  hang(options: { readonly afterChunks?: number } = {}): void {
    this.#hang = { afterChunks: options.afterChunks };
  }

  slowStream(ms: number): void {
    this.#slowMs = Math.max(0, ms);
  }

  cutStream(afterChunks: number): void {
    this.#cutAfter = Math.max(0, afterChunks);
  }

  reset(): void {
    this.#faults = [];
    this.#faultHead = 0;
    this.#hang = undefined;
    this.#cutAfter = undefined;
    this.#slowMs = 0;
    this.#calls.length = 0;
    this.#usage.length = 0;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#http.once('error', (error) =>
        reject(
          new HubpoError('UNAVAILABLE', `mock ${this.kind} server cannot listen on 127.0.0.1:${port}`, {
            cause: error,
          }),
        ),
      );
      this.#http.listen({ host: '127.0.0.1', port }, () => {
        const address = this.#http.address();
        this.#port = typeof address === 'object' && address !== null ? address.port : port;
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    this.#stopping ??= new Promise((resolve) => {
      this.#http.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#stopping;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => {
      void this.#respond(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent)
          sendBody(res, this.#wire.error(500, `mock server failure: ${errorMessage(err)}`));
        else res.destroy();
      });
    });
  }

  async #respond(req: IncomingMessage, res: ServerResponse, rawBody: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    const request: MockWireRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: parseJson(rawBody),
    };
    const call: MutableCall = {
      method: request.method,
      path: request.path,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: request.body,
      rawBody,
      status: undefined,
    };
    this.#calls.push(call);
    const sequence = this.#calls.length;
    const hang = this.#hang;
    if (hang !== undefined && hang.afterChunks === undefined) return; // accepted, never answered
    const fault = this.#takeFault();
    if (fault !== undefined) {
      call.status = fault.status ?? 500;
      sendBody(res, this.#faultReply(fault));
      return;
    }
    const exchange = this.#exchange(request, sequence);
    call.status = exchange.reply.status;
    if (exchange.reply.kind === 'body') {
      if (hang !== undefined) return; // a non-streamed answer cannot stop part-way: it hangs whole
      this.#recordUsage(exchange, sequence - 1, true);
      sendBody(res, exchange.reply);
      return;
    }
    const usage = this.#recordUsage(exchange, sequence - 1, false);
    const completed = await this.#stream(res, exchange.reply, hang?.afterChunks);
    if (usage !== undefined) usage.completed = completed;
  }

  #takeFault(): MockFault | undefined {
    if (this.#faultHead >= this.#faults.length) return undefined;
    const fault = this.#faults[this.#faultHead];
    this.#faultHead++;
    return fault;
  }

  #faultReply(fault: MockFault): MockReply & { kind: 'body' } {
    const status = fault.status ?? 500;
    const native = this.#wire.error(status, fault.message ?? `mock fault ${status}`);
    const body =
      fault.body === undefined
        ? native.body
        : typeof fault.body === 'string'
          ? fault.body
          : JSON.stringify(fault.body);
    return {
      kind: 'body',
      status,
      headers: {
        ...native.headers,
        ...(fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) }),
        ...fault.headers,
      },
      body,
    };
  }

  #exchange(request: MockWireRequest, sequence: number): MockExchange {
    const { apiKey } = this.#options;
    if (apiKey !== undefined && !this.#wire.authorized(request, apiKey))
      return { reply: this.#wire.unauthorized() };
    try {
      return this.#wire.handle(request, {
        sequence,
        now: (this.#options.now ?? Date.now)(),
        answer: this.#options,
        models: this.#options.models ?? ['mock-model'],
        embeddingDimensions: this.#options.embeddingDimensions ?? 8,
      });
    } catch (err) {
      if (err instanceof MockHttpError) return { reply: this.#wire.error(err.status, err.message) };
      throw err;
    }
  }

  #recordUsage(exchange: MockExchange, call: number, completed: boolean): MutableUsage | undefined {
    const usage = exchange.usage;
    if (usage === undefined) return undefined;
    const record: MutableUsage = {
      call,
      model: usage.model,
      stream: usage.stream,
      reported: usage.reported ?? true,
      completed,
      ...usage.counts,
    };
    this.#usage.push(record);
    return record;
  }

  /**
   * Writes the chunks one by one, each flushed on its own: after each write it waits for the
   * pacing delay (or yields to the event loop), and for `drain` when the socket is full.
   * Resolves true when every chunk was written and the response ended.
   */
  async #stream(
    res: ServerResponse,
    reply: MockReply & { kind: 'stream' },
    hangAfter: number | undefined,
  ): Promise<boolean> {
    res.writeHead(reply.status, reply.headers);
    res.flushHeaders();
    const cutAfter = this.#cutAfter;
    for (let i = 0; i < reply.chunks.length; i++) {
      if (hangAfter !== undefined && i >= hangAfter) return false;
      if (cutAfter !== undefined && i >= cutAfter) {
        res.destroy();
        return false;
      }
      if (res.destroyed || this.#stopping !== undefined) return false;
      const chunk = reply.chunks[i] ?? '';
      if (!res.write(chunk)) await onceDrainedOrClosed(res);
      await pause(this.#slowMs);
    }
    if (res.destroyed) return false;
    res.end();
    return true;
  }
}

function sendBody(res: ServerResponse, reply: MockReply & { kind: 'body' }): void {
  if (res.destroyed) return;
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.byteLength) });
  res.end(body);
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}

function onceDrainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
