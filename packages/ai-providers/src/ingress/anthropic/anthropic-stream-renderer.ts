import { assertNever } from '@hubpo/core';
import type { Finish } from '../../internal/chat-response.js';
import type { BlockStart, StreamEvent } from '../../internal/stream-event.js';
import type { Usage } from '../../internal/usage.js';
import { ZERO_USAGE } from '../../internal/usage.js';
import type { JsonObject } from '../../shared/json-value.js';
import { formatSse } from '../../shared/sse-parser.js';
import { anthropicErrorBody } from './render-anthropic-error.js';
import { anthropicStopReason, renderAnthropicUsage } from './render-anthropic-response.js';

/**
 * Renders internal stream events as Anthropic Messages SSE, framed as Anthropic does
 * (`event: <type>\ndata: {json}\n\n`): message_start, ping, content_block_start /
 * content_block_delta (text_delta, input_json_delta, thinking_delta, signature_delta) /
 * content_block_stop, message_delta (stop reason and usage), message_stop; `error` on failure.
 *
 * `message_start` is held back until the first content or the end, so it can carry input usage
 * when the upstream reports it early (Anthropic, Gemini); the stop reason and final usage are
 * held until `message_stop`, because OpenAI-family upstreams send usage after the finish.
 * Only choice 0 is rendered; block indices are renumbered 0, 1, 2... in order.
 */
export class AnthropicStreamRenderer {
  readonly #model: string | undefined;
  readonly #blocks = new Map<number, number>();
  #nextIndex = 0;
  #open: number | undefined;
  #id = '';
  #upstreamModel = '';
  #startPending = false;
  #usage: Usage | undefined;
  #finish: Finish | undefined;
  #closed = false;

  constructor(options: { readonly model?: string } = {}) {
    this.#model = options.model;
  }

  render(event: StreamEvent): string {
    if (this.#closed) return '';
    switch (event.kind) {
      case 'message_start':
        this.#id = event.id;
        this.#upstreamModel = event.model;
        this.#startPending = true;
        return '';
      case 'usage':
        this.#usage = event.usage;
        return '';
      case 'block_start':
        return event.choice === 0 ? this.#flushStart() + this.#blockStart(event.index, event.block) : '';
      case 'text_delta':
        return this.#delta(event.index, { type: 'text_delta', text: event.text });
      case 'tool_call_delta':
        return this.#delta(event.index, { type: 'input_json_delta', partial_json: event.argumentsDelta });
      case 'thinking_delta':
        return this.#delta(event.index, { type: 'thinking_delta', thinking: event.text });
      case 'signature_delta':
        return this.#delta(event.index, { type: 'signature_delta', signature: event.signature });
      case 'block_stop':
        return this.#blockStop(event.index);
      case 'finish':
        if (event.choice === 0) this.#finish = event.finish;
        return '';
      case 'message_stop':
        return this.#stop();
      case 'error':
        this.#closed = true;
        return formatSse(anthropicErrorBody(event.error), 'error');
      default:
        return assertNever(event, 'stream event');
    }
  }

  renderAll(events: readonly StreamEvent[]): string {
    let out = '';
    for (const event of events) out += this.render(event);
    return out;
  }

  #flushStart(): string {
    if (!this.#startPending) return '';
    this.#startPending = false;
    const usage = renderAnthropicUsage(this.#usage ?? ZERO_USAGE);
    const message = {
      id: this.#id,
      type: 'message',
      role: 'assistant',
      model: this.#model ?? this.#upstreamModel,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    };
    return (
      formatSse(JSON.stringify({ type: 'message_start', message }), 'message_start') +
      formatSse('{"type":"ping"}', 'ping')
    );
  }

  #blockStart(internal: number, block: BlockStart): string {
    let out = '';
    if (this.#open !== undefined) out += this.#stopOpen();
    const index = this.#nextIndex++;
    this.#blocks.set(internal, index);
    this.#open = index;
    return (
      out +
      formatSse(
        JSON.stringify({ type: 'content_block_start', index, content_block: contentBlock(block) }),
        'content_block_start',
      )
    );
  }

  #delta(internal: number, delta: JsonObject): string {
    const index = this.#blocks.get(internal);
    if (index === undefined) return '';
    return formatSse(JSON.stringify({ type: 'content_block_delta', index, delta }), 'content_block_delta');
  }

  #blockStop(internal: number): string {
    const index = this.#blocks.get(internal);
    if (index === undefined || index !== this.#open) return '';
    return this.#stopOpen();
  }

  #stopOpen(): string {
    const index = this.#open;
    this.#open = undefined;
    return formatSse(JSON.stringify({ type: 'content_block_stop', index }), 'content_block_stop');
  }

  #stop(): string {
    this.#closed = true;
    let out = this.#flushStart();
    if (this.#open !== undefined) out += this.#stopOpen();
    const finish = this.#finish ?? { reason: 'stop', raw: null };
    const usage = this.#usage ?? ZERO_USAGE;
    const messageDelta = {
      type: 'message_delta',
      delta: { stop_reason: anthropicStopReason(finish), stop_sequence: finish.stopSequence ?? null },
      usage: renderAnthropicUsage(usage),
    };
    out += formatSse(JSON.stringify(messageDelta), 'message_delta');
    return out + formatSse('{"type":"message_stop"}', 'message_stop');
  }
}

function contentBlock(block: BlockStart): JsonObject {
  switch (block.kind) {
    case 'text':
    case 'refusal':
      return { type: 'text', text: '' };
    case 'thinking':
      return { type: 'thinking', thinking: '', signature: '' };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: block.data };
    case 'tool_call':
      return { type: 'tool_use', id: block.id, name: block.name, input: {} };
  }
}
