import { HubpoError } from '@hubpo/core';
import type { StreamDecoder, StreamEvent } from '../../internal/stream-event.js';
import type { Usage } from '../../internal/usage.js';
import type { ResponseContext } from '../../provider-adapter.js';
import { arrayAt, isObject, numberAt, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import type { JsonObject } from '../../shared/json-value.js';
import { SseParser } from '../../shared/sse-parser.js';
import type { SseEvent } from '../../shared/sse-parser.js';
import { StreamBuilder } from '../../shared/stream-builder.js';
import { geminiCallId, geminiErrorFromJson, geminiFinish, geminiUsage } from './gemini-response.js';

/**
 * Decoder of `streamGenerateContent?alt=sse`: every `data:` event is a whole
 * GenerateContentResponse holding the next parts (text deltas; function calls arrive whole).
 * `usageMetadata` is cumulative and complete on the chunk with `finishReason`. The stream has no
 * terminal marker: the message stops at end of input once a candidate finished.
 */
export class GeminiStreamDecoder implements StreamDecoder {
  readonly #sse = new SseParser();
  readonly #b: StreamBuilder;
  readonly #ctx: ResponseContext | undefined;
  readonly #calls = new Map<number, number>();
  #responseId = '';
  #pendingUsage: Usage | undefined;

  constructor(ctx: ResponseContext | undefined) {
    this.#ctx = ctx;
    this.#b = new StreamBuilder('gemini', ctx);
  }

  push(chunk: Uint8Array): StreamEvent[] {
    for (const event of this.#sse.push(chunk)) this.#event(event);
    return this.#b.take();
  }

  end(): StreamEvent[] {
    for (const event of this.#sse.end()) this.#event(event);
    if (this.#pendingUsage !== undefined && !this.#b.done) this.#b.usage(this.#pendingUsage);
    return this.#b.endOfInput();
  }

  #event(event: SseEvent): void {
    const b = this.#b;
    if (b.done) return;
    const json = tryParseJson(event.data);
    if (!isObject(json)) {
      b.fail(
        new HubpoError('PROVIDER_ERROR', 'malformed stream chunk from upstream', {
          details: { provider: 'gemini' },
        }),
      );
      return;
    }
    if (json['error'] !== undefined) {
      b.fail(geminiErrorFromJson(undefined, undefined, json));
      return;
    }
    if (!b.started) {
      this.#responseId = stringAt(json, 'responseId') ?? this.#ctx?.requestId ?? '';
      b.start(this.#responseId, stringAt(json, 'modelVersion') ?? this.#ctx?.request?.model ?? '', undefined);
    }
    let finished = false;
    const candidates = arrayAt(json, 'candidates') ?? [];
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[i];
      if (isObject(candidate))
        finished = this.#candidate(candidate, numberAt(candidate, 'index') ?? i) || finished;
    }
    const blocked = stringAt(objectAt(json, 'promptFeedback'), 'blockReason');
    if (candidates.length === 0 && blocked !== undefined) {
      b.finish(0, { reason: 'content_filter', raw: blocked });
      finished = true;
    }
    const usage = geminiUsage(json['usageMetadata']);
    if (usage === undefined) return;
    if (finished || b.finishedAny) {
      this.#pendingUsage = undefined;
      b.usage(usage);
    } else {
      this.#pendingUsage = usage;
    }
  }

  /** Returns whether the candidate finished in this chunk. */
  #candidate(candidate: JsonObject, choice: number): boolean {
    const b = this.#b;
    for (const part of arrayAt(objectAt(candidate, 'content'), 'parts') ?? []) {
      const call = objectAt(part, 'functionCall');
      if (call !== undefined) {
        const position = this.#calls.get(choice) ?? 0;
        this.#calls.set(choice, position + 1);
        const signature = stringAt(part, 'thoughtSignature');
        const index = b.block(choice, `call:${position}`, {
          kind: 'tool_call',
          id: stringAt(call, 'id') ?? geminiCallId(this.#responseId, choice, position),
          name: stringAt(call, 'name') ?? '',
          ...(signature === undefined ? {} : { signature }),
        });
        b.toolArguments(index, JSON.stringify(objectAt(call, 'args') ?? {}));
        b.closeBlock(choice);
        continue;
      }
      const text = stringAt(part, 'text');
      if (text === undefined || text.length === 0) continue;
      if (isObject(part) && part['thought'] === true)
        b.thinking(b.block(choice, 'thinking', { kind: 'thinking' }), text);
      else b.text(b.block(choice, 'text', { kind: 'text' }), text);
    }
    const raw = stringAt(candidate, 'finishReason');
    if (raw === undefined) return false;
    b.finish(choice, geminiFinish(raw, (this.#calls.get(choice) ?? 0) > 0));
    return true;
  }
}
