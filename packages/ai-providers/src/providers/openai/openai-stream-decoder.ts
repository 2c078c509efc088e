import { HubpoError } from '@hubpo/core';
import type { StreamDecoder, StreamEvent } from '../../internal/stream-event.js';
import type { ProviderId, ResponseContext } from '../../provider-adapter.js';
import { arrayAt, isObject, numberAt, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import type { JsonObject } from '../../shared/json-value.js';
import { SseParser } from '../../shared/sse-parser.js';
import type { SseEvent } from '../../shared/sse-parser.js';
import { StreamBuilder } from '../../shared/stream-builder.js';
import { openAIFinish, openAIUsage } from './openai-chat-response.js';
import { openAIErrorFromJson, streamErrorStatus } from './openai-error.js';

/**
 * Decoder of OpenAI-dialect `chat.completion.chunk` streams (OpenAI, Azure, Mistral,
 * OpenAI-compatible servers): `data: {chunk}` events ending with `data: [DONE]`
 * (https://platform.openai.com/docs/api-reference/chat-streaming). Usage comes from the final
 * chunk with empty `choices` (`stream_options.include_usage`) or, for Mistral, from the chunk
 * carrying `finish_reason`.
 */
export class OpenAIStreamDecoder implements StreamDecoder {
  readonly #sse = new SseParser();
  readonly #b: StreamBuilder;
  readonly #provider: ProviderId;
  readonly #ctx: ResponseContext | undefined;

  constructor(provider: ProviderId, ctx: ResponseContext | undefined) {
    this.#provider = provider;
    this.#ctx = ctx;
    this.#b = new StreamBuilder(provider, ctx);
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
    if (event.data === '[DONE]') {
      b.stop();
      return;
    }
    const json = tryParseJson(event.data);
    if (!isObject(json)) {
      b.fail(
        new HubpoError('PROVIDER_ERROR', 'malformed stream chunk from upstream', {
          details: { provider: this.#provider },
        }),
      );
      return;
    }
    if (json['error'] !== undefined && json['error'] !== null) {
      b.fail(openAIErrorFromJson(this.#provider, streamErrorStatus(json['error']), undefined, json));
      return;
    }
    const choices = arrayAt(json, 'choices') ?? [];
    const id = stringAt(json, 'id');
    if (!b.started && ((id !== undefined && id.length > 0) || choices.length > 0)) {
      b.start(
        id || (this.#ctx?.requestId ?? ''),
        stringAt(json, 'model') ?? this.#ctx?.request?.model ?? '',
        numberAt(json, 'created'),
      );
    }
    for (const choice of choices) if (isObject(choice)) this.#choice(choice);
    const usage = openAIUsage(json['usage']);
    if (usage !== undefined) b.usage(usage);
  }

  #choice(choice: JsonObject): void {
    const b = this.#b;
    const index = numberAt(choice, 'index') ?? 0;
    const delta = objectAt(choice, 'delta');
    if (delta !== undefined) {
      const reasoning = stringAt(delta, 'reasoning_content') ?? stringAt(delta, 'reasoning');
      if (reasoning !== undefined && reasoning.length > 0)
        b.thinking(b.block(index, 'thinking', { kind: 'thinking' }), reasoning);
      this.#content(index, delta['content']);
      const refusal = stringAt(delta, 'refusal');
      if (refusal !== undefined && refusal.length > 0)
        b.text(b.block(index, 'refusal', { kind: 'refusal' }), refusal);
      for (const call of arrayAt(delta, 'tool_calls') ?? []) this.#toolCall(index, call);
    }
    const finish = stringAt(choice, 'finish_reason');
    if (finish !== undefined) b.finish(index, openAIFinish(finish));
  }

  #content(choice: number, content: unknown): void {
    const b = this.#b;
    if (typeof content === 'string') {
      if (content.length > 0) b.text(b.block(choice, 'text', { kind: 'text' }), content);
      return;
    }
    if (!Array.isArray(content)) return;
    for (const chunk of content) {
      const type = stringAt(chunk, 'type');
      if (type === 'text') {
        const text = stringAt(chunk, 'text') ?? '';
        if (text.length > 0) b.text(b.block(choice, 'text', { kind: 'text' }), text);
      } else if (type === 'thinking') {
        for (const inner of arrayAt(chunk, 'thinking') ?? []) {
          const text = stringAt(inner, 'text') ?? '';
          if (text.length > 0) b.thinking(b.block(choice, 'thinking', { kind: 'thinking' }), text);
        }
      }
    }
  }

  #toolCall(choice: number, call: unknown): void {
    const b = this.#b;
    const position = numberAt(call, 'index') ?? 0;
    const fn = objectAt(call, 'function');
    const key = `tool:${position}`;
    const index =
      b.currentIndex(choice, key) ??
      b.block(choice, key, {
        kind: 'tool_call',
        id: stringAt(call, 'id') ?? '',
        name: stringAt(fn, 'name') ?? '',
      });
    const args = stringAt(fn, 'arguments');
    if (args !== undefined) b.toolArguments(index, args);
  }
}
