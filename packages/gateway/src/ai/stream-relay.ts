import {
  AnthropicStreamRenderer,
  OpenAIStreamRenderer,
  StreamAccumulator,
  ZERO_USAGE,
  estimateOutputTokens,
  estimateRequestTokens,
} from '@hubpo/ai-providers';
import type { ChatRequest, ChatResponse, StreamDecoder, StreamEvent, Usage } from '@hubpo/ai-providers';
import type { HubpoError } from '@hubpo/core';
import type { IngressFormat } from './ai-endpoint.js';

/** What feeding a batch of events produced. */
export interface RelayOutput {
  /** Text to write to the client now ('' for nothing). */
  readonly text: string;
  /** True when this batch committed the response (write the head before `text`). */
  readonly committed: boolean;
  /** An upstream error before anything was committed: the attempt failed and may fall back. */
  readonly error: HubpoError | null;
}

const NOTHING: RelayOutput = Object.freeze({ text: '', committed: false, error: null });

/**
 * What the exchange relays an upstream stream through: upstream bytes in, the client's SSE out,
 * committed at the first answer event, with the attempt's usage and answer at the end.
 * `StreamRelay` decodes and re-renders; `OpenAIStreamPassthrough` (`@hubpo/ai-providers`)
 * forwards an OpenAI-dialect stream to an OpenAI client nearly as is.
 */
export interface ChatStreamRelay {
  readonly committed: boolean;
  readonly failedAfterCommit: HubpoError | null;
  /** One upstream chunk, handled at once: after the commit its text is never held back. */
  push(chunk: Uint8Array): RelayOutput;
  /** The upstream body ended. */
  end(): RelayOutput;
  flush(): RelayOutput;
  renderError(error: HubpoError): string;
  usage(): Usage;
  response(): ChatResponse;
}

/**
 * Turns one upstream attempt's decoded stream events into the client's SSE (the ingress
 * renderer) and decides when the response is committed: rendered text is held back until the
 * first event that carries the answer (a block, a delta, a finish or the end), so an upstream
 * that fails or stalls right after `message_start` can still fall back. After the commit every
 * batch is written as it comes; an upstream `error` then becomes the ingress's error event.
 * Every event also feeds an accumulator, so usage is known (or estimated) however it ends.
 */
export class StreamRelay implements ChatStreamRelay {
  readonly #renderer: OpenAIStreamRenderer | AnthropicStreamRenderer;
  readonly #accumulator = new StreamAccumulator();
  readonly #request: ChatRequest;
  readonly #decoder: StreamDecoder | null;
  #pending = '';
  #committed = false;
  #failedAfterCommit: HubpoError | null = null;

  /** `decoder` turns upstream bytes into events for `push`/`end`; null when events are fed directly. */
  constructor(
    format: IngressFormat,
    request: ChatRequest,
    modelName: string,
    decoder: StreamDecoder | null = null,
  ) {
    this.#request = request;
    this.#decoder = decoder;
    this.#renderer =
      format === 'openai'
        ? new OpenAIStreamRenderer({ includeUsage: request.streamOptions.includeUsage, model: modelName })
        : new AnthropicStreamRenderer({ model: modelName });
  }

  get committed(): boolean {
    return this.#committed;
  }

  /** Whether the upstream stream reached `message_stop`. */
  get complete(): boolean {
    return this.#accumulator.complete;
  }

  /** What the events so far add up to (the answer as assembled; for prompt/completion logs). */
  response(): ChatResponse {
    return this.#accumulator.response();
  }

  /** The error that broke the stream after the commit, if any. */
  get failedAfterCommit(): HubpoError | null {
    return this.#failedAfterCommit;
  }

  push(chunk: Uint8Array): RelayOutput {
    return this.feed(this.#decoder!.push(chunk));
  }

  end(): RelayOutput {
    return this.feed(this.#decoder!.end());
  }

  feed(events: readonly StreamEvent[]): RelayOutput {
    if (events.length === 0) return NOTHING;
    let text = '';
    let committedNow = false;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      this.#accumulator.add(event);
      if (event.kind === 'error') {
        if (!this.#committed) return { text: '', committed: false, error: event.error };
        this.#failedAfterCommit = event.error;
      }
      const rendered = this.#renderer.render(event);
      if (this.#committed) {
        text += rendered;
        continue;
      }
      this.#pending += rendered;
      if (carriesAnswer(event)) {
        this.#committed = committedNow = true;
        text = this.#pending;
        this.#pending = '';
      }
    }
    return committedNow || text !== '' ? { text, committed: committedNow, error: null } : NOTHING;
  }

  /** Commits what is held (an upstream stream that ended without any answer event). */
  flush(): RelayOutput {
    if (this.#committed) return NOTHING;
    this.#committed = true;
    const text = this.#pending;
    this.#pending = '';
    return { text, committed: true, error: null };
  }

  /** The ingress's rendering of an error that cut the stream after the commit. */
  renderError(error: HubpoError): string {
    this.#failedAfterCommit ??= error;
    return this.#renderer.render({ kind: 'error', error });
  }

  /**
   * The usage of the attempt. A completed stream has the provider's (or the decoder's
   * estimate). A stream cut short (client gone, upstream error, timeout) keeps what the provider
   * reported and fills the rest from the tokenizer: the prompt, and the output generated so far
   * (what the client received); then `estimated` is true.
   */
  usage(): Usage {
    const reported = this.#accumulator.usage;
    if (this.#accumulator.complete && reported !== ZERO_USAGE) return reported;
    let output = 0;
    for (const choice of this.#accumulator.response().choices) output += estimateOutputTokens(choice.content);
    const input = reported.inputTokens > 0 ? reported.inputTokens : estimateRequestTokens(this.#request);
    const estimated = reported.estimated || reported.inputTokens === 0 || output > reported.outputTokens;
    return {
      ...reported,
      inputTokens: input,
      outputTokens: Math.max(reported.outputTokens, output),
      estimated,
    };
  }
}

/** Events that are (part of) the answer: the first of them commits the response. */
function carriesAnswer(event: StreamEvent): boolean {
  switch (event.kind) {
    case 'message_start':
    case 'usage':
    case 'error':
      return false;
    default:
      return true;
  }
}
