import { HubpoError } from '@hubpo/core';
import { StreamAccumulator } from '../../accumulate-stream.js';
import { estimateOutputTokens, estimateRequestTokens } from '../../estimate-tokens.js';
import type { ChatRequest } from '../../internal/chat-request.js';
import type { ChatResponse } from '../../internal/chat-response.js';
import type { Usage } from '../../internal/usage.js';
import { ZERO_USAGE } from '../../internal/usage.js';
import type { ProviderId } from '../../provider-adapter.js';
import { openAIUsage } from '../../providers/openai/openai-chat-response.js';
import { openAIErrorFromJson, streamErrorStatus } from '../../providers/openai/openai-error.js';
import { OpenAIStreamDecoder } from '../../providers/openai/openai-stream-decoder.js';
import { arrayAt, isObject, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import { UTF8_DECODER, UTF8_ENCODER } from '../../shared/utf8.js';
import { topLevelStringRange } from '../../shared/replace-top-level-string.js';
import { formatSse } from '../../shared/sse-parser.js';
import { renderOpenAIError } from './render-openai-error.js';

export interface OpenAIStreamPassthroughOptions {
  /** The upstream provider (an OpenAI-dialect one), for error mapping. */
  readonly provider: ProviderId;
  /** The model name the client sees (the AIModel), written into every chunk. */
  readonly model: string;
  /** The client's `stream_options.include_usage`: else the usage chunk Hubpo asked for is dropped. */
  readonly includeUsage: boolean;
  /** The request sent, for the prompt estimate when the provider reports no usage. */
  readonly request: ChatRequest;
}

/** What one upstream chunk produced (the `StreamRelay` contract of the gateway). */
export interface PassthroughOutput {
  /** SSE text to write to the client now ('' for nothing). */
  readonly text: string;
  /** True when this chunk committed the response (write the head before `text`). */
  readonly committed: boolean;
  /** An upstream error before anything was committed: the attempt failed and may fall back. */
  readonly error: HubpoError | null;
}

const NOTHING: PassthroughOutput = Object.freeze({ text: '', committed: false, error: null });
const DONE_FRAME = 'data: [DONE]\n\n';
const USAGE_NULL_TAIL = ',"usage":null}';
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
/**
 * A chunk that may carry an error, usage or a finish: only those are parsed after the commit. A
 * key in quotes followed by a colon cannot occur inside a JSON string value (its quotes would be
 * escaped), so a chunk this does not match has none of them.
 */
const MAY_MATTER = /"(?:error|usage)"\s*:\s*[^\sn]|"finish_reason"\s*:\s*"/;

/**
 * Relays an OpenAI-dialect `chat.completion.chunk` stream to an OpenAI client without decoding
 * and re-rendering each chunk: the same-format fast path of the gateway (ADR 0007). Each
 * upstream event is forwarded as the provider wrote it, with only these changes:
 * - `model` becomes the AIModel name (rewritten in place, no parse);
 * - the usage-only chunk Hubpo requested upstream is dropped when the client did not ask for it
 *   (`stream_options.include_usage`), as is the `"usage":null` OpenAI then adds to every chunk;
 * - an upstream `error` event becomes the gateway's OpenAI error event;
 * - the framing is normalised to `data: <json>\n\n` (comments, `event:`, `id:` and `retry:`
 *   lines dropped: OpenAI-dialect streams carry everything in `data`).
 *
 * Only the chunks that matter are parsed: every chunk until the first one that carries the answer
 * (content, refusal, reasoning, a tool call or a finish: until then the response is held back so
 * the attempt can still fall back, as with the decoding relay), and afterwards only those that
 * may hold an error, usage or a finish (`MAY_MATTER`). Usage is the provider's when the stream
 * completed and reported it; otherwise the prompt and the output forwarded so far are counted
 * with the tokenizer and marked estimated. The forwarded chunk texts are kept, and decoded (by
 * the adapter's own decoder) only when the answer is asked for: `response()` for logs, or that
 * estimate. Fields the internal form does not model (logprobs, `system_fingerprint`,
 * `reasoning_content`, ...) reach the client unchanged.
 *
 * SSE is split on the decoded text: one UTF-8 decode per upstream chunk (the bytes of a character
 * split across chunks are carried to the next one); a line split across chunks is kept as pieces
 * and joined once, so a long line delivered in small chunks costs linear time.
 */
export class OpenAIStreamPassthrough {
  readonly #options: OpenAIStreamPassthroughOptions;
  readonly #model: string;
  /** The first bytes of a UTF-8 character the previous chunk ended in the middle of. */
  #carry: Uint8Array | null = null;
  /** Pieces of an unfinished line. */
  #pieces: string[] = [];
  /** `data` of the event being read (null: none yet). */
  #data: string | null = null;
  /** The upstream text up to the end of the `model` value in the last renamed chunk, and its rename. */
  #prefix = '';
  #renamedPrefix = '';
  /** Data of every forwarded chunk, for the output estimate of a stream cut short. */
  readonly #forwarded: string[] = [];
  #pending = '';
  #pendingData: string[] = [];
  #committed = false;
  #complete = false;
  #finished = false;
  #closed = false;
  #usage: Usage | undefined;
  #failedAfterCommit: HubpoError | null = null;
  #error: HubpoError | null = null;
  #text = '';
  #committedNow = false;

  constructor(options: OpenAIStreamPassthroughOptions) {
    this.#options = options;
    this.#model = JSON.stringify(options.model);
  }

  get committed(): boolean {
    return this.#committed;
  }

  /** Whether the upstream stream reached `[DONE]` (or ended after a finish). */
  get complete(): boolean {
    return this.#complete;
  }

  /** The error that broke the stream after the commit, if any. */
  get failedAfterCommit(): HubpoError | null {
    return this.#failedAfterCommit;
  }

  /** One upstream chunk in; the text to write now out. */
  push(chunk: Uint8Array): PassthroughOutput {
    this.#begin();
    this.#lines(this.#decode(chunk));
    return this.#result();
  }

  /** The upstream body ended. A stream that ended before any finish was cut short (an error). */
  end(): PassthroughOutput {
    this.#begin();
    if (this.#carry !== null) {
      this.#lines(UTF8_DECODER.decode(this.#carry)); // an invalid tail: U+FFFD, as a decoder would
      this.#carry = null;
    }
    if (this.#pieces.length > 0) {
      const line = this.#pieces.join('');
      this.#pieces = [];
      this.#line(line, 0, line.length);
    }
    this.#dispatch();
    if (this.#error === null && !this.#closed) {
      if (this.#finished) this.#complete = true;
      else this.#fail(cutShort(this.#options.provider));
    }
    return this.#result();
  }

  /** Commits what is held (an upstream stream that ended without any answer chunk). */
  flush(): PassthroughOutput {
    if (this.#committed) return NOTHING;
    this.#commit();
    const text = this.#text;
    this.#text = '';
    return { text, committed: true, error: null };
  }

  /** The OpenAI error event for a failure that cut the stream after the commit. */
  renderError(error: HubpoError): string {
    this.#failedAfterCommit ??= error;
    this.#closed = true;
    return formatSse(renderOpenAIError(error).body);
  }

  /** The usage of the attempt (see the class comment). */
  usage(): Usage {
    const reported = this.#usage ?? ZERO_USAGE;
    if (this.#complete && this.#usage !== undefined) return reported;
    let output = 0;
    for (const choice of this.response().choices) output += estimateOutputTokens(choice.content);
    const input =
      reported.inputTokens > 0 ? reported.inputTokens : estimateRequestTokens(this.#options.request);
    return {
      ...reported,
      inputTokens: input,
      outputTokens: Math.max(reported.outputTokens, output),
      estimated: reported.estimated || reported.inputTokens === 0 || output > reported.outputTokens,
    };
  }

  /** What the forwarded chunks add up to (decoded now; for logs and the usage estimate). */
  response(): ChatResponse {
    const decoder = new OpenAIStreamDecoder(this.#options.provider, { request: this.#options.request });
    const accumulator = new StreamAccumulator();
    for (const data of this.#forwarded)
      for (const event of decoder.push(UTF8_ENCODER.encode(`data: ${data}\n\n`))) accumulator.add(event);
    return accumulator.response();
  }

  #begin(): void {
    this.#text = '';
    this.#committedNow = false;
    this.#error = null;
  }

  #result(): PassthroughOutput {
    const error = this.#error;
    if (error !== null && !this.#committed) return { text: '', committed: false, error };
    const text = this.#text;
    this.#text = '';
    return text === '' && !this.#committedNow
      ? NOTHING
      : { text, committed: this.#committedNow, error: null };
  }

  /** The text of the whole characters in `carry + chunk`; the bytes of a split last one are carried. */
  #decode(chunk: Uint8Array): string {
    let bytes = chunk;
    const carry = this.#carry;
    if (carry !== null) {
      bytes = new Uint8Array(carry.length + chunk.length);
      bytes.set(carry);
      bytes.set(chunk, carry.length);
      this.#carry = null;
    }
    const whole = wholeCharacters(bytes);
    if (whole === bytes.length) return UTF8_DECODER.decode(bytes);
    this.#carry = bytes.slice(whole);
    return UTF8_DECODER.decode(bytes.subarray(0, whole));
  }

  /** Splits decoded text into lines (LF or CRLF); an unfinished last line is kept for the next chunk. */
  #lines(text: string): void {
    let start = 0;
    if (this.#pieces.length > 0) {
      const nl = text.indexOf('\n');
      if (nl < 0) {
        this.#pieces.push(text);
        return;
      }
      this.#pieces.push(text.slice(0, nl));
      const line = this.#pieces.join('');
      this.#pieces = [];
      this.#line(line, 0, line.length);
      start = nl + 1;
    }
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.#line(text, start, nl);
      start = nl + 1;
    }
    if (start < text.length) this.#pieces.push(start === 0 ? text : text.slice(start));
  }

  /** One line `text[start, end)` without its LF (https://html.spec.whatwg.org/multipage/server-sent-events.html). */
  #line(text: string, start: number, lineEnd: number): void {
    const end = lineEnd > start && text.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
    if (end === start) {
      this.#dispatch();
      return;
    }
    if (!text.startsWith('data', start)) return; // comments, event, id, retry
    let from = start + 4;
    if (from < end && text.charCodeAt(from) !== COLON) return; // a field merely starting with "data"
    if (from < end) from++;
    if (text.charCodeAt(from) === SPACE && from < end) from++;
    const value = text.slice(from, end);
    this.#data = this.#data === null ? value : `${this.#data}\n${value}`;
  }

  #dispatch(): void {
    const data = this.#data;
    if (data === null) return;
    this.#data = null;
    if (this.#error === null) this.#event(data);
  }

  #event(data: string): void {
    if (this.#closed) return;
    if (data === '[DONE]') {
      this.#complete = this.#closed = true;
      this.#emit(DONE_FRAME, null);
      return;
    }
    if (this.#committed && !MAY_MATTER.test(data)) {
      this.#emit(this.#frame(data), data);
      return;
    }
    const json = tryParseJson(data);
    if (!isObject(json)) {
      this.#fail(
        new HubpoError('PROVIDER_ERROR', 'malformed stream chunk from upstream', {
          details: { provider: this.#options.provider },
        }),
      );
      return;
    }
    const upstreamError = json['error'];
    if (upstreamError !== undefined && upstreamError !== null) {
      const provider = this.#options.provider;
      this.#fail(openAIErrorFromJson(provider, streamErrorStatus(upstreamError), undefined, json));
      return;
    }
    const usage = openAIUsage(json['usage']);
    if (usage !== undefined) this.#usage = usage;
    const choices = arrayAt(json, 'choices') ?? [];
    if (!this.#finished && choices.some(finishes)) this.#finished = true;
    if (usage !== undefined && choices.length === 0 && !this.#options.includeUsage) return;
    if (!this.#committed && choices.some(carriesAnswer)) {
      this.#emit(this.#frame(data), data);
      this.#commit();
      return;
    }
    this.#emit(this.#frame(data), data);
  }

  #frame(data: string): string {
    let json = this.#rename(data);
    if (!this.#options.includeUsage && json.endsWith(USAGE_NULL_TAIL))
      json = `${json.slice(0, json.length - USAGE_NULL_TAIL.length)}}`;
    return `data: ${json}\n\n`;
  }

  /**
   * `model` set to the AIModel name. Chunks of one stream usually share everything before it
   * (`id`, `object`, `created`): when this one starts with the last renamed prefix the value sits
   * at the same place (the scan's result depends only on the text before it), so no scan.
   */
  #rename(data: string): string {
    const prefix = this.#prefix;
    if (prefix !== '' && data.startsWith(prefix)) return this.#renamedPrefix + data.slice(prefix.length);
    const range = topLevelStringRange(data, 'model');
    if (range === null) return data;
    this.#prefix = data.slice(0, range.end);
    this.#renamedPrefix = data.slice(0, range.start) + this.#model;
    return this.#renamedPrefix + data.slice(range.end);
  }

  #emit(frame: string, data: string | null): void {
    if (this.#committed) {
      this.#text += frame;
      if (data !== null) this.#forwarded.push(data);
      return;
    }
    this.#pending += frame;
    if (data !== null) this.#pendingData.push(data);
  }

  #commit(): void {
    this.#committed = this.#committedNow = true;
    this.#text += this.#pending;
    for (const data of this.#pendingData) this.#forwarded.push(data);
    this.#pending = '';
    this.#pendingData = [];
  }

  #fail(error: HubpoError): void {
    this.#error = error;
    if (!this.#committed) return;
    this.#failedAfterCommit = error;
    this.#text += this.renderError(error);
  }
}

/**
 * The length of the longest prefix of `bytes` that does not end inside a UTF-8 character: all of
 * it unless the last (up to 3) bytes start a multi-byte sequence the chunk does not complete.
 */
function wholeCharacters(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n === 0 || bytes[n - 1]! < 0x80) return n;
  let lead = n - 1;
  while (lead > 0 && lead > n - 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  const b = bytes[lead]!;
  const size = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return lead + size > n ? lead : n;
}

function finishes(choice: unknown): boolean {
  return isObject(choice) && typeof choice['finish_reason'] === 'string';
}

/** A choice that is (part of) the answer: its first occurrence commits the response. */
function carriesAnswer(choice: unknown): boolean {
  if (!isObject(choice)) return false;
  const finish = choice['finish_reason'];
  if (typeof finish === 'string') return true;
  const delta = objectAt(choice, 'delta');
  if (delta === undefined) return false;
  const content = delta['content'];
  if ((typeof content === 'string' || Array.isArray(content)) && content.length > 0) return true;
  if ((stringAt(delta, 'refusal') ?? '').length > 0) return true;
  if ((stringAt(delta, 'reasoning_content') ?? stringAt(delta, 'reasoning') ?? '').length > 0) return true;
  return (arrayAt(delta, 'tool_calls') ?? []).length > 0;
}

function cutShort(provider: ProviderId): HubpoError {
  return new HubpoError('PROVIDER_ERROR', 'upstream stream ended before the response was complete', {
    details: { provider },
  });
}
