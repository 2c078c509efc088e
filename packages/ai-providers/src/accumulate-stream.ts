import type { HubpoError } from '@hubpo/core';
import type { ChatResponse, Choice, Finish, OutputPart } from './internal/chat-response.js';
import type { StreamEvent } from './internal/stream-event.js';
import type { Usage } from './internal/usage.js';
import { ZERO_USAGE } from './internal/usage.js';

interface PartBuilder {
  readonly choice: number;
  part: OutputPart;
}

/**
 * Folds stream events into the ChatResponse they add up to (for response caching, output
 * guardrails, usage records, and tests). Feed events in order; `response()` is valid once
 * `message_stop` was seen, `error` tells whether the stream failed.
 */
export class StreamAccumulator {
  #id = '';
  #model = '';
  #created = 0;
  readonly #parts = new Map<number, PartBuilder>();
  readonly #order: number[] = [];
  readonly #finishes = new Map<number, Finish>();
  #usage: Usage = ZERO_USAGE;
  #stopped = false;
  #error: HubpoError | undefined;

  add(event: StreamEvent): void {
    switch (event.kind) {
      case 'message_start':
        this.#id = event.id;
        this.#model = event.model;
        this.#created = event.created;
        return;
      case 'block_start': {
        const b = event.block;
        const part: OutputPart =
          b.kind === 'tool_call'
            ? {
                kind: 'tool_call',
                id: b.id,
                name: b.name,
                arguments: '',
                ...(b.signature === undefined ? {} : { signature: b.signature }),
              }
            : b.kind === 'redacted_thinking'
              ? { kind: 'redacted_thinking', data: b.data }
              : { kind: b.kind, text: '' };
        this.#parts.set(event.index, { choice: event.choice, part });
        this.#order.push(event.index);
        return;
      }
      case 'text_delta':
      case 'thinking_delta':
        this.#appendText(event.index, event.text);
        return;
      case 'tool_call_delta': {
        const builder = this.#parts.get(event.index);
        if (builder?.part.kind === 'tool_call')
          builder.part = { ...builder.part, arguments: builder.part.arguments + event.argumentsDelta };
        return;
      }
      case 'signature_delta': {
        const builder = this.#parts.get(event.index);
        if (builder?.part.kind === 'thinking')
          builder.part = { ...builder.part, signature: (builder.part.signature ?? '') + event.signature };
        return;
      }
      case 'finish':
        this.#finishes.set(event.choice, event.finish);
        return;
      case 'usage':
        this.#usage = event.usage;
        return;
      case 'message_stop':
        this.#stopped = true;
        return;
      case 'error':
        this.#error = event.error;
        return;
      case 'block_stop':
        return;
    }
  }

  addAll(events: readonly StreamEvent[]): this {
    for (const event of events) this.add(event);
    return this;
  }

  get complete(): boolean {
    return this.#stopped;
  }

  get error(): HubpoError | undefined {
    return this.#error;
  }

  get usage(): Usage {
    return this.#usage;
  }

  response(): ChatResponse {
    const choices = new Map<number, OutputPart[]>();
    for (const index of this.#finishes.keys()) choices.set(index, []);
    for (const index of this.#order) {
      const builder = this.#parts.get(index) as PartBuilder;
      const list = choices.get(builder.choice) ?? [];
      list.push(builder.part);
      choices.set(builder.choice, list);
    }
    const out: Choice[] = [...choices.keys()]
      .sort((a, b) => a - b)
      .map((index) => ({
        index,
        content: choices.get(index) ?? [],
        finish: this.#finishes.get(index) ?? { reason: 'other', raw: null },
      }));
    return { id: this.#id, model: this.#model, created: this.#created, choices: out, usage: this.#usage };
  }

  #appendText(index: number, text: string): void {
    const builder = this.#parts.get(index);
    if (builder === undefined) return;
    const part = builder.part;
    if (part.kind === 'text' || part.kind === 'thinking' || part.kind === 'refusal')
      builder.part = { ...part, text: part.text + text };
  }
}
