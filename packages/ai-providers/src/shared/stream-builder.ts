import { HubpoError } from '@hubpo/core';
import type { Finish } from '../internal/chat-response.js';
import type { BlockStart, StreamEvent } from '../internal/stream-event.js';
import type { Usage } from '../internal/usage.js';
import { estimateRequestTokens, estimateTokens } from '../estimate-tokens.js';
import type { ProviderId, ResponseContext } from '../provider-adapter.js';

interface OpenBlock {
  readonly key: string;
  readonly index: number;
}

/**
 * Shared state machine of the stream decoders: it turns provider-level happenings ("text for
 * choice 0", "tool call #1 started") into the StreamEvent grammar (see stream-event.ts), so
 * every decoder allocates block indices, closes blocks, and ends streams the same way.
 * Events go to `out`, which the decoder swaps per `push`.
 */
export class StreamBuilder {
  out: StreamEvent[] = [];
  readonly #provider: ProviderId;
  readonly #ctx: ResponseContext | undefined;
  #started = false;
  #stopped = false;
  #failed = false;
  #nextIndex = 0;
  readonly #current = new Map<number, OpenBlock>();
  readonly #known = new Map<string, number>();
  readonly #finished = new Set<number>();
  #usage: Usage | undefined;
  /** Generated text, kept only to estimate output tokens when the provider sends no usage. */
  #generated = '';

  constructor(provider: ProviderId, ctx: ResponseContext | undefined) {
    this.#provider = provider;
    this.#ctx = ctx;
  }

  get started(): boolean {
    return this.#started;
  }

  get done(): boolean {
    return this.#stopped || this.#failed;
  }

  get finishedAny(): boolean {
    return this.#finished.size > 0;
  }

  start(id: string, model: string, created: number | undefined): void {
    if (this.#started) return;
    this.#started = true;
    const ts = created ?? (this.#ctx?.now === undefined ? 0 : Math.floor(this.#ctx.now / 1000));
    this.out.push({ kind: 'message_start', id, model, created: ts });
  }

  /** Ensures `message_start` was sent, with ids from the context when the provider gave none. */
  ensureStarted(): void {
    if (!this.#started) this.start(this.#ctx?.requestId ?? '', this.#ctx?.request?.model ?? '', undefined);
  }

  /**
   * Returns the index of the block `key` of `choice`, opening it (and closing the choice's
   * current block) when it is not the current one. A key seen before keeps its index so late
   * deltas of an interleaved tool call still reach the right block.
   */
  block(choice: number, key: string, start: BlockStart): number {
    this.ensureStarted();
    const current = this.#current.get(choice);
    if (current !== undefined && current.key === key) return current.index;
    const fullKey = `${choice}:${key}`;
    const seen = this.#known.get(fullKey);
    if (seen !== undefined && start.kind === 'tool_call') return seen;
    if (current !== undefined) this.#closeCurrent(choice, current);
    const index = this.#nextIndex++;
    this.#known.set(fullKey, index);
    this.#current.set(choice, { key, index });
    this.out.push({ kind: 'block_start', index, choice, block: start });
    return index;
  }

  /** The current block of `choice` when it has key `key`. */
  currentIndex(choice: number, key: string): number | undefined {
    const current = this.#current.get(choice);
    return current !== undefined && current.key === key ? current.index : undefined;
  }

  text(index: number, text: string): void {
    if (text.length === 0) return;
    this.#generated += text;
    this.out.push({ kind: 'text_delta', index, text });
  }

  thinking(index: number, text: string): void {
    if (text.length === 0) return;
    this.#generated += text;
    this.out.push({ kind: 'thinking_delta', index, text });
  }

  signature(index: number, signature: string): void {
    if (signature.length > 0) this.out.push({ kind: 'signature_delta', index, signature });
  }

  toolArguments(index: number, delta: string): void {
    if (delta.length === 0) return;
    this.#generated += delta;
    this.out.push({ kind: 'tool_call_delta', index, argumentsDelta: delta });
  }

  closeBlock(choice: number): void {
    const current = this.#current.get(choice);
    if (current !== undefined) this.#closeCurrent(choice, current);
  }

  finish(choice: number, finish: Finish): void {
    this.ensureStarted();
    this.closeBlock(choice);
    if (this.#finished.has(choice)) return;
    this.#finished.add(choice);
    this.out.push({ kind: 'finish', choice, finish });
  }

  /** Records and emits the cumulative usage. */
  usage(usage: Usage): void {
    this.ensureStarted();
    this.#usage = usage;
    this.out.push({ kind: 'usage', usage });
  }

  get lastUsage(): Usage | undefined {
    return this.#usage;
  }

  /** Ends the message: closes blocks, adds estimated usage if the provider sent none. */
  stop(): void {
    if (this.done) return;
    this.ensureStarted();
    for (const [choice, current] of this.#current) this.#closeCurrent(choice, current);
    if (this.#usage === undefined) this.usage(this.#estimatedUsage());
    this.#stopped = true;
    this.out.push({ kind: 'message_stop' });
  }

  fail(error: HubpoError): void {
    if (this.done) return;
    this.#failed = true;
    this.out.push({ kind: 'error', error });
  }

  /**
   * For `end()`: a stream that finished but sent no terminal marker is stopped; one that never
   * finished was cut short, which is an error the gateway may retry (nothing was lost yet only if
   * it has not forwarded anything).
   */
  endOfInput(): StreamEvent[] {
    if (!this.done) {
      if (this.finishedAny) this.stop();
      else
        this.fail(
          new HubpoError('PROVIDER_ERROR', 'upstream stream ended before the response was complete', {
            details: { provider: this.#provider },
          }),
        );
    }
    return this.take();
  }

  take(): StreamEvent[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  #closeCurrent(choice: number, current: OpenBlock): void {
    this.#current.delete(choice);
    this.out.push({ kind: 'block_stop', index: current.index });
  }

  #estimatedUsage(): Usage {
    const request = this.#ctx?.request;
    return {
      inputTokens: request === undefined ? 0 : estimateRequestTokens(request),
      cachedInputTokens: 0,
      cacheWriteInputTokens: 0,
      reasoningTokens: 0,
      outputTokens: estimateTokens(this.#generated),
      estimated: true,
    };
  }
}
