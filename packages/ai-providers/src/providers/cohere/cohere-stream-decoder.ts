import { HubpoError } from '@hubpo/core';
import type { StreamDecoder, StreamEvent } from '../../internal/stream-event.js';
import type { ResponseContext } from '../../provider-adapter.js';
import { isObject, numberAt, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import type { JsonObject } from '../../shared/json-value.js';
import { SseParser } from '../../shared/sse-parser.js';
import type { SseEvent } from '../../shared/sse-parser.js';
import { StreamBuilder } from '../../shared/stream-builder.js';
import { upstreamError } from '../../shared/upstream-error.js';
import { cohereFinish, cohereUsage } from './cohere-chat.js';

/**
 * Decoder of Cohere v2 chat streams (https://docs.cohere.com/v2/docs/streaming): SSE events typed
 * by their JSON `type`: message-start, content-start/-delta/-end (text or thinking),
 * tool-plan-delta (reported as thinking), tool-call-start/-delta/-end, citation-*, message-end
 * (finish reason and usage; the terminal event).
 */
export class CohereStreamDecoder implements StreamDecoder {
  readonly #sse = new SseParser();
  readonly #b: StreamBuilder;
  readonly #ctx: ResponseContext | undefined;

  constructor(ctx: ResponseContext | undefined) {
    this.#ctx = ctx;
    this.#b = new StreamBuilder('cohere', ctx);
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
          details: { provider: 'cohere' },
        }),
      );
      return;
    }
    const index = numberAt(json, 'index') ?? 0;
    const message = objectAt(objectAt(json, 'delta'), 'message');
    switch (stringAt(json, 'type') ?? event.event) {
      case 'message-start':
        b.start(
          stringAt(json, 'id') ?? this.#ctx?.requestId ?? '',
          this.#ctx?.request?.model ?? '',
          undefined,
        );
        return;
      case 'content-start':
      case 'content-delta':
        this.#content(index, objectAt(message, 'content'));
        return;
      case 'content-end':
      case 'tool-call-end':
        b.closeBlock(0);
        return;
      case 'tool-plan-delta':
        b.thinking(b.block(0, 'plan', { kind: 'thinking' }), stringAt(message, 'tool_plan') ?? '');
        return;
      case 'tool-call-start':
      case 'tool-call-delta':
        this.#toolCall(index, objectAt(message, 'tool_calls'));
        return;
      case 'message-end':
        this.#end(objectAt(json, 'delta'));
        return;
      default:
        return; // citation-start/-end, debug
    }
  }

  #content(index: number, content: JsonObject | undefined): void {
    const b = this.#b;
    const thinking = stringAt(content, 'thinking');
    if (stringAt(content, 'type') === 'thinking' || thinking !== undefined) {
      b.thinking(b.block(0, `content:${index}`, { kind: 'thinking' }), thinking ?? '');
      return;
    }
    b.text(b.block(0, `content:${index}`, { kind: 'text' }), stringAt(content, 'text') ?? '');
  }

  #toolCall(index: number, call: JsonObject | undefined): void {
    const b = this.#b;
    const fn = objectAt(call, 'function');
    const key = `tool:${index}`;
    const block =
      b.currentIndex(0, key) ??
      b.block(0, key, {
        kind: 'tool_call',
        id: stringAt(call, 'id') ?? '',
        name: stringAt(fn, 'name') ?? '',
      });
    b.toolArguments(block, stringAt(fn, 'arguments') ?? '');
  }

  #end(delta: JsonObject | undefined): void {
    const b = this.#b;
    const reason = stringAt(delta, 'finish_reason');
    const error = stringAt(delta, 'error');
    if (reason === 'ERROR' && error !== undefined) {
      b.fail(upstreamError({ provider: 'cohere', status: 500, message: error }));
      return;
    }
    b.finish(0, cohereFinish(reason));
    const usage = cohereUsage(delta?.['usage']);
    if (usage !== undefined) b.usage(usage);
    b.stop();
  }
}
