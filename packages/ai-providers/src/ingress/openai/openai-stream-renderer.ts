import { assertNever } from '@hubpo/core';
import type { StreamEvent } from '../../internal/stream-event.js';
import type { Usage } from '../../internal/usage.js';
import type { JsonObject } from '../../shared/json-value.js';
import { formatSse } from '../../shared/sse-parser.js';
import { renderOpenAIError } from './render-openai-error.js';
import { openAIFinishReason, renderOpenAIUsage } from './render-openai-response.js';

export interface OpenAIStreamRenderOptions {
  /** The client's `stream_options.include_usage`: adds the final usage chunk (and `usage: null` on the others). */
  readonly includeUsage: boolean;
  /** The model name to show the client; default: the upstream's. */
  readonly model?: string;
  /** Render thinking as `delta.reasoning_content` (DeepSeek/vLLM convention); off by default. */
  readonly reasoningContent?: boolean;
}

interface BlockInfo {
  readonly choice: number;
  readonly kind: 'text' | 'refusal' | 'thinking' | 'redacted_thinking' | 'tool_call';
  /** Position of a tool call within its choice's `tool_calls`. */
  readonly toolIndex: number;
}

/**
 * Renders internal stream events as OpenAI `chat.completion.chunk` SSE text, framed as OpenAI does
 * (`data: {json}\n\n`, then `data: [DONE]\n\n`): a first chunk with the assistant role, content
 * and tool-call deltas, a chunk with `finish_reason`, then, only when the client asked
 * (`includeUsage`), a chunk with empty `choices` and the usage. Upstream usage chunks the client
 * did not ask for are therefore never shown (the adapters always request usage upstream).
 */
export class OpenAIStreamRenderer {
  readonly #options: OpenAIStreamRenderOptions;
  readonly #blocks = new Map<number, BlockInfo>();
  readonly #toolCounts = new Map<number, number>();
  readonly #roleSent = new Set<number>();
  #id = '';
  #model = '';
  #created = 0;
  #usage: Usage | undefined;
  #closed = false;

  constructor(options: OpenAIStreamRenderOptions) {
    this.#options = options;
  }

  /** SSE text for one event ('' when the event shows nothing to an OpenAI client). */
  render(event: StreamEvent): string {
    if (this.#closed) return '';
    switch (event.kind) {
      case 'message_start':
        this.#id = event.id;
        this.#model = this.#options.model ?? event.model;
        this.#created = event.created;
        return this.#role(0);
      case 'block_start':
        return this.#blockStart(event.index, event.choice, event.block);
      case 'text_delta':
        return this.#textDelta(event.index, event.text);
      case 'thinking_delta': {
        const info = this.#blocks.get(event.index);
        if (info === undefined || this.#options.reasoningContent !== true) return '';
        return this.#chunk(info.choice, { reasoning_content: event.text });
      }
      case 'tool_call_delta': {
        const info = this.#blocks.get(event.index);
        if (info === undefined) return '';
        return this.#chunk(info.choice, {
          tool_calls: [{ index: info.toolIndex, function: { arguments: event.argumentsDelta } }],
        });
      }
      case 'signature_delta':
      case 'block_stop':
        return '';
      case 'finish':
        return (
          this.#role(event.choice) +
          this.#frame([
            {
              index: event.choice,
              delta: {},
              logprobs: null,
              finish_reason: openAIFinishReason(event.finish.reason),
            },
          ])
        );
      case 'usage':
        this.#usage = event.usage;
        return '';
      case 'message_stop':
        return this.#stop();
      case 'error': {
        this.#closed = true;
        return formatSse(renderOpenAIError(event.error).body);
      }
      default:
        return assertNever(event, 'stream event');
    }
  }

  /** Renders a whole event list (convenience for non-incremental callers). */
  renderAll(events: readonly StreamEvent[]): string {
    let out = '';
    for (const event of events) out += this.render(event);
    return out;
  }

  #stop(): string {
    this.#closed = true;
    let out = '';
    if (this.#options.includeUsage && this.#usage !== undefined) {
      out += formatSse(
        JSON.stringify({ ...this.#base(), choices: [], usage: renderOpenAIUsage(this.#usage) }),
      );
    }
    return `${out}data: [DONE]\n\n`;
  }

  #blockStart(
    index: number,
    choice: number,
    block: Extract<StreamEvent, { kind: 'block_start' }>['block'],
  ): string {
    if (block.kind !== 'tool_call') {
      this.#blocks.set(index, { choice, kind: block.kind, toolIndex: -1 });
      return this.#role(choice);
    }
    const toolIndex = this.#toolCounts.get(choice) ?? 0;
    this.#toolCounts.set(choice, toolIndex + 1);
    this.#blocks.set(index, { choice, kind: 'tool_call', toolIndex });
    return (
      this.#role(choice) +
      this.#chunk(choice, {
        tool_calls: [
          { index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: '' } },
        ],
      })
    );
  }

  #textDelta(index: number, text: string): string {
    const info = this.#blocks.get(index);
    if (info === undefined) return '';
    if (info.kind === 'refusal') return this.#chunk(info.choice, { refusal: text });
    if (info.kind === 'thinking')
      return this.#options.reasoningContent === true
        ? this.#chunk(info.choice, { reasoning_content: text })
        : '';
    return this.#chunk(info.choice, { content: text });
  }

  /** The first chunk of a choice announces the assistant role, as OpenAI's does. */
  #role(choice: number): string {
    if (this.#roleSent.has(choice)) return '';
    this.#roleSent.add(choice);
    return this.#chunk(choice, { role: 'assistant', content: '', refusal: null });
  }

  #chunk(choice: number, delta: JsonObject): string {
    return this.#frame([{ index: choice, delta, logprobs: null, finish_reason: null }]);
  }

  #frame(choices: JsonObject[]): string {
    const chunk: JsonObject = { ...this.#base(), choices };
    if (this.#options.includeUsage) chunk['usage'] = null;
    return formatSse(JSON.stringify(chunk));
  }

  #base(): JsonObject {
    return { id: this.#id, object: 'chat.completion.chunk', created: this.#created, model: this.#model };
  }
}
