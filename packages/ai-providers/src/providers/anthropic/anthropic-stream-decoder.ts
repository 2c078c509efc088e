import { HubpoError } from '@hubpo/core';
import type { StreamDecoder, StreamEvent } from '../../internal/stream-event.js';
import type { Usage } from '../../internal/usage.js';
import { makeUsage } from '../../internal/usage.js';
import type { ResponseContext } from '../../provider-adapter.js';
import { isObject, numberAt, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import type { JsonObject } from '../../shared/json-value.js';
import { SseParser } from '../../shared/sse-parser.js';
import type { SseEvent } from '../../shared/sse-parser.js';
import { StreamBuilder } from '../../shared/stream-builder.js';
import { anthropicErrorFromJson, anthropicFinish, anthropicUsage } from './anthropic-messages-response.js';

/**
 * Decoder of Messages API streams (https://docs.anthropic.com/en/docs/build-with-claude/streaming):
 * `message_start`, `content_block_start|delta|stop`, `message_delta` (stop reason, cumulative
 * usage), `message_stop`, `ping`, `error`. Usage starts from `message_start.message.usage` and is
 * updated by every field `message_delta.usage` carries.
 */
export class AnthropicStreamDecoder implements StreamDecoder {
  readonly #sse = new SseParser();
  readonly #b: StreamBuilder;
  readonly #ctx: ResponseContext | undefined;
  /** Anthropic block index -> our block index. */
  readonly #blocks = new Map<number, number>();
  #usage: Usage | undefined;

  constructor(ctx: ResponseContext | undefined) {
    this.#ctx = ctx;
    this.#b = new StreamBuilder('anthropic', ctx);
  }

  push(chunk: Uint8Array): StreamEvent[] {
    for (const event of this.#sse.push(chunk)) this.#event(event);
    return this.#b.take();
  }

  end(): StreamEvent[] {
    for (const event of this.#sse.end()) this.#event(event);
    return this.#b.endOfInput();
  }

  #event(event: SseEvent): void {
    const b = this.#b;
    if (b.done) return;
    const json = tryParseJson(event.data);
    if (!isObject(json)) {
      b.fail(
        new HubpoError('PROVIDER_ERROR', 'malformed stream event from upstream', {
          details: { provider: 'anthropic' },
        }),
      );
      return;
    }
    switch (stringAt(json, 'type') ?? event.event) {
      case 'message_start':
        this.#messageStart(objectAt(json, 'message'));
        return;
      case 'content_block_start':
        this.#blockStart(numberAt(json, 'index') ?? 0, objectAt(json, 'content_block'));
        return;
      case 'content_block_delta':
        this.#delta(numberAt(json, 'index') ?? 0, objectAt(json, 'delta'));
        return;
      case 'content_block_stop':
        b.closeBlock(0);
        return;
      case 'message_delta':
        this.#messageDelta(json);
        return;
      case 'message_stop':
        b.stop();
        return;
      case 'error':
        b.fail(anthropicErrorFromJson(undefined, undefined, json));
        return;
      default:
        return; // ping and future event types
    }
  }

  #messageStart(message: JsonObject | undefined): void {
    const ctx = this.#ctx;
    this.#b.start(
      stringAt(message, 'id') ?? ctx?.requestId ?? '',
      stringAt(message, 'model') ?? ctx?.request?.model ?? '',
      undefined,
    );
    const usage = anthropicUsage(message?.['usage']);
    if (usage !== undefined) {
      this.#usage = usage;
      this.#b.usage(usage);
    }
  }

  #blockStart(anthropicIndex: number, block: JsonObject | undefined): void {
    const b = this.#b;
    const key = `block:${anthropicIndex}`;
    let index: number;
    switch (stringAt(block, 'type')) {
      case 'text':
        index = b.block(0, key, { kind: 'text' });
        b.text(index, stringAt(block, 'text') ?? '');
        break;
      case 'tool_use':
        index = b.block(0, key, {
          kind: 'tool_call',
          id: stringAt(block, 'id') ?? '',
          name: stringAt(block, 'name') ?? '',
        });
        break;
      case 'thinking':
        index = b.block(0, key, { kind: 'thinking' });
        b.thinking(index, stringAt(block, 'thinking') ?? '');
        break;
      case 'redacted_thinking':
        index = b.block(0, key, { kind: 'redacted_thinking', data: stringAt(block, 'data') ?? '' });
        break;
      default:
        return; // server tool blocks are not modelled in streams
    }
    this.#blocks.set(anthropicIndex, index);
  }

  #delta(anthropicIndex: number, delta: JsonObject | undefined): void {
    const index = this.#blocks.get(anthropicIndex);
    if (index === undefined) return;
    const b = this.#b;
    switch (stringAt(delta, 'type')) {
      case 'text_delta':
        b.text(index, stringAt(delta, 'text') ?? '');
        return;
      case 'input_json_delta':
        b.toolArguments(index, stringAt(delta, 'partial_json') ?? '');
        return;
      case 'thinking_delta':
        b.thinking(index, stringAt(delta, 'thinking') ?? '');
        return;
      case 'signature_delta':
        b.signature(index, stringAt(delta, 'signature') ?? '');
        return;
      default:
        return;
    }
  }

  #messageDelta(json: JsonObject): void {
    const delta = objectAt(json, 'delta');
    const stopReason = stringAt(delta, 'stop_reason');
    if (stopReason !== undefined)
      this.#b.finish(0, anthropicFinish(stopReason, stringAt(delta, 'stop_sequence')));
    const raw = objectAt(json, 'usage');
    if (raw === undefined) return;
    // message_delta usage is cumulative; fields it omits keep their message_start values.
    const prev = this.#usage;
    const inputTokens = numberAt(raw, 'input_tokens');
    const write = numberAt(raw, 'cache_creation_input_tokens') ?? prev?.cacheWriteInputTokens ?? 0;
    const read = numberAt(raw, 'cache_read_input_tokens') ?? prev?.cachedInputTokens ?? 0;
    const uncached =
      inputTokens ??
      (prev === undefined ? 0 : prev.inputTokens - prev.cachedInputTokens - prev.cacheWriteInputTokens);
    const usage = makeUsage({
      inputTokens: uncached + write + read,
      cachedInputTokens: read,
      cacheWriteInputTokens: write,
      outputTokens: numberAt(raw, 'output_tokens') ?? prev?.outputTokens,
    });
    this.#usage = usage;
    this.#b.usage(usage);
  }
}
