import { HubpoError } from '@hubpo/core';
import type { StreamDecoder, StreamEvent } from '../../internal/stream-event.js';
import type { ResponseContext } from '../../provider-adapter.js';
import { isObject, numberAt, objectAt, stringAt, tryParseJson } from '../../shared/json-value.js';
import type { JsonObject } from '../../shared/json-value.js';
import { StreamBuilder } from '../../shared/stream-builder.js';
import { UTF8_DECODER } from '../../shared/utf8.js';
import { bedrockError, converseFinish, converseUsage } from './converse-response.js';
import { EventStreamDecoder } from './event-stream-codec.js';
import type { EventStreamMessage } from './event-stream-codec.js';

/**
 * Decoder of ConverseStream (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html):
 * event-stream frames whose `:message-type` is `event` (`:event-type` messageStart,
 * contentBlockStart, contentBlockDelta, contentBlockStop, messageStop, metadata) or `exception`
 * (`:exception-type` throttlingException, ...). Text and reasoning blocks have no start event:
 * they open on their first delta. Usage comes in the final `metadata` event.
 */
export class ConverseStreamDecoder implements StreamDecoder {
  readonly #frames = new EventStreamDecoder();
  readonly #b: StreamBuilder;
  readonly #ctx: ResponseContext | undefined;

  constructor(ctx: ResponseContext | undefined) {
    this.#ctx = ctx;
    this.#b = new StreamBuilder('bedrock', ctx);
  }

  push(chunk: Uint8Array): StreamEvent[] {
    if (this.#b.done) return this.#b.take();
    let messages: EventStreamMessage[];
    try {
      messages = this.#frames.push(chunk);
    } catch (err) {
      this.#b.fail(HubpoError.from(err, 'PROVIDER_ERROR'));
      return this.#b.take();
    }
    for (const message of messages) this.#message(message);
    return this.#b.take();
  }

  end(): StreamEvent[] {
    if (!this.#b.done && this.#frames.bufferedBytes > 0) {
      this.#b.fail(
        new HubpoError('PROVIDER_ERROR', 'upstream stream ended inside an event-stream frame', {
          details: { provider: 'bedrock' },
        }),
      );
    }
    return this.#b.endOfInput();
  }

  #message(message: EventStreamMessage): void {
    const b = this.#b;
    if (b.done) return;
    const headers = message.headers;
    const json = tryParseJson(UTF8_DECODER.decode(message.payload));
    const messageType = headers[':message-type'];
    if (messageType === 'exception') {
      const type = headers[':exception-type'];
      b.fail(
        bedrockError(
          typeof type === 'string' ? type : undefined,
          undefined,
          stringAt(json, 'message') ?? stringAt(json, 'Message'),
        ),
      );
      return;
    }
    if (messageType === 'error') {
      const code = headers[':error-code'];
      const text = headers[':error-message'];
      b.fail(
        bedrockError(
          typeof code === 'string' ? code : undefined,
          undefined,
          typeof text === 'string' ? text : undefined,
        ),
      );
      return;
    }
    if (!isObject(json)) {
      b.fail(
        new HubpoError('PROVIDER_ERROR', 'malformed stream event from upstream', {
          details: { provider: 'bedrock' },
        }),
      );
      return;
    }
    const eventType = headers[':event-type'];
    if (typeof eventType === 'string') this.#event(eventType, json);
  }

  #event(type: string, json: JsonObject): void {
    const b = this.#b;
    switch (type) {
      case 'messageStart':
        b.start(this.#ctx?.requestId ?? '', this.#ctx?.request?.model ?? '', undefined);
        return;
      case 'contentBlockStart': {
        const toolUse = objectAt(objectAt(json, 'start'), 'toolUse');
        if (toolUse === undefined) return;
        b.block(0, `block:${numberAt(json, 'contentBlockIndex') ?? 0}`, {
          kind: 'tool_call',
          id: stringAt(toolUse, 'toolUseId') ?? '',
          name: stringAt(toolUse, 'name') ?? '',
        });
        return;
      }
      case 'contentBlockDelta':
        this.#delta(`block:${numberAt(json, 'contentBlockIndex') ?? 0}`, objectAt(json, 'delta'));
        return;
      case 'contentBlockStop':
        b.closeBlock(0);
        return;
      case 'messageStop':
        b.finish(0, converseFinish(stringAt(json, 'stopReason')));
        return;
      case 'metadata': {
        const usage = converseUsage(json['usage']);
        if (usage !== undefined) b.usage(usage);
        if (b.finishedAny) b.stop();
        return;
      }
      default:
        return;
    }
  }

  #delta(key: string, delta: JsonObject | undefined): void {
    const b = this.#b;
    const text = stringAt(delta, 'text');
    if (text !== undefined) {
      b.text(b.block(0, key, { kind: 'text' }), text);
      return;
    }
    const toolUse = objectAt(delta, 'toolUse');
    if (toolUse !== undefined) {
      const index = b.currentIndex(0, key);
      if (index !== undefined) b.toolArguments(index, stringAt(toolUse, 'input') ?? '');
      return;
    }
    const reasoning = objectAt(delta, 'reasoningContent');
    if (reasoning === undefined) return;
    const redacted = stringAt(reasoning, 'redactedContent');
    if (redacted !== undefined) {
      b.block(0, key, { kind: 'redacted_thinking', data: redacted });
      return;
    }
    const index = b.block(0, key, { kind: 'thinking' });
    b.thinking(index, stringAt(reasoning, 'text') ?? '');
    b.signature(index, stringAt(reasoning, 'signature') ?? '');
  }
}
