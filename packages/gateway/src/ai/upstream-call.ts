import type { HttpHeaders } from '@hubpo/ai-providers';
import type { Dispatcher } from 'undici';

/** What `UpstreamCall.start` sends (the adapter's request, split into pool and path). */
export interface UpstreamCallOptions {
  readonly path: string;
  readonly method: 'POST' | 'GET';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

type Settle<T> = { resolve: (value: T) => void; reject: (error: unknown) => void };

const DONE: IteratorResult<Buffer> = Object.freeze({ done: true, value: undefined });
const EMPTY = Buffer.alloc(0);
/** The reason given to undici when the consumer stops reading a body before its end. */
const BODY_ABANDONED = new Error('the response body was abandoned');

/**
 * One upstream HTTP call of an AI attempt on undici's `dispatch` (the layer under
 * `request`/`stream`), with no `Readable`, `AsyncResource` or `AbortSignal` per call: this object
 * is at once the dispatch handler, the response (`statusCode`, `headers`) and its body
 * (`bytes()`, or async iteration one upstream chunk at a time).
 *
 * Contract (the subset of undici's `ResponseData` the exchange uses):
 * - `start` resolves with this call once the status line and headers arrived (1xx skipped), and
 *   rejects with the transport error or the abort reason before that.
 * - `abort(reason)` cancels the call at any point; before the connection is assigned the reason
 *   is kept and applied when it is (undici's own signal handling does the same); once the call
 *   ended it does nothing. A pending `bytes()` or `next()` then rejects with `reason`.
 * - The body is read once, either by `bytes()` or by iteration. Iteration holds at most one
 *   chunk: while the consumer is busy undici is paused (backpressure reaches the upstream
 *   socket), and each chunk is handed over as it arrived (never merged or delayed). Leaving the
 *   iteration early (`return`) aborts an unfinished call.
 */
export class UpstreamCall implements Dispatcher.DispatchHandler, AsyncIterableIterator<Buffer> {
  statusCode = 0;
  #raw: Buffer[] | null = null;
  #headers: HttpHeaders | null = null;
  #abort: ((error?: Error) => void) | null = null;
  #reason: Error | null = null;
  #error: unknown = null;
  #ended = false;
  #head: Settle<UpstreamCall> | null = null;
  #chunks: Buffer[] = [];
  #next = 0;
  #size = 0;
  /** Set while undici is paused (an iterated chunk waits for the consumer). */
  #resume: (() => void) | null = null;
  #pendingResume: (() => void) | null = null;
  #bytes: Settle<Buffer> | null = null;
  #read: Settle<IteratorResult<Buffer>> | null = null;
  #iterating = false;

  /** Sends the request on `dispatcher`; resolves at the response head. */
  start(dispatcher: Dispatcher, options: UpstreamCallOptions): Promise<UpstreamCall> {
    return new Promise<UpstreamCall>((resolve, reject) => {
      this.#head = { resolve, reject };
      dispatcher.dispatch(
        { path: options.path, method: options.method, headers: options.headers, body: options.body },
        this,
      );
    });
  }

  /** Cancels the call (client gone, the gateway's timers); no-op once it ended. */
  abort(reason: Error): void {
    if (this.#ended) return;
    if (this.#abort === null) this.#reason = reason;
    else this.#abort(reason);
  }

  /** Response headers with lower-case names (repeated ones as arrays), parsed on first use. */
  get headers(): HttpHeaders {
    if (this.#headers !== null) return this.#headers;
    const out: Record<string, string | string[]> = {};
    const raw = this.#raw ?? [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toString('latin1').toLowerCase();
      const value = raw[i + 1]!.toString('latin1');
      const seen = out[name];
      if (seen === undefined) out[name] = value;
      else if (Array.isArray(seen)) seen.push(value);
      else out[name] = [seen, value];
    }
    this.#headers = out;
    return out;
  }

  /** The body, read by `bytes()` or by iterating it. */
  get body(): UpstreamCall {
    return this;
  }

  /** The whole body; rejects when the call fails or is aborted before its end. */
  bytes(): Promise<Buffer> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(this.#concat());
    return new Promise<Buffer>((resolve, reject) => {
      this.#bytes = { resolve, reject };
    });
  }

  [Symbol.asyncIterator](): UpstreamCall {
    this.#iterating = true;
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.#next < this.#chunks.length) {
      const value = this.#chunks[this.#next]!;
      this.#chunks[this.#next++] = EMPTY;
      if (this.#next === this.#chunks.length) {
        this.#chunks.length = 0;
        this.#next = 0;
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise<IteratorResult<Buffer>>((resolve, reject) => {
      this.#read = { resolve, reject };
      const resume = this.#pendingResume;
      if (resume !== null) {
        this.#pendingResume = null;
        resume();
      }
    });
  }

  return(): Promise<IteratorResult<Buffer>> {
    this.abort(BODY_ABANDONED);
    return Promise.resolve(DONE);
  }

  // ---- undici DispatchHandler (legacy callback set, which undici 7 runs natively) ----------

  onConnect(abort: (error?: Error) => void): void {
    if (this.#reason !== null) abort(this.#reason);
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.statusCode = statusCode;
    this.#raw = rawHeaders;
    this.#resume = resume;
    const head = this.#head;
    this.#head = null;
    if (head !== null) head.resolve(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    const read = this.#read;
    if (read !== null) {
      this.#read = null;
      read.resolve({ done: false, value: chunk });
      return true;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (!this.#iterating) return true;
    // The consumer is busy with the previous chunk: pause until it asks for the next one.
    this.#pendingResume = this.#resume;
    return false;
  }

  onComplete(): void {
    this.#ended = true;
    this.#abort = null;
    const bytes = this.#bytes;
    if (bytes !== null) {
      this.#bytes = null;
      bytes.resolve(this.#concat());
    }
    const read = this.#read;
    if (read !== null) {
      this.#read = null;
      read.resolve(DONE);
    }
  }

  onError(error: Error): void {
    this.#ended = true;
    this.#abort = null;
    this.#error = error;
    this.#chunks.length = 0;
    this.#next = 0;
    const head = this.#head;
    const bytes = this.#bytes;
    const read = this.#read;
    this.#head = this.#bytes = this.#read = null;
    if (head !== null) head.reject(error);
    if (bytes !== null) bytes.reject(error);
    if (read !== null) read.reject(error);
  }

  #concat(): Buffer {
    const chunks = this.#chunks;
    if (chunks.length === 1) return chunks[0]!;
    return Buffer.concat(chunks, this.#size);
  }
}
