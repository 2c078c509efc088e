import type { HubpoError } from '@hubpo/core';
import type { Finish } from './chat-response.js';
import type { Usage } from './usage.js';

/** What a content block holds, announced when it starts. */
export type BlockStart =
  | { readonly kind: 'text' }
  | { readonly kind: 'refusal' }
  | { readonly kind: 'thinking' }
  | { readonly kind: 'redacted_thinking'; readonly data: string }
  | { readonly kind: 'tool_call'; readonly id: string; readonly name: string; readonly signature?: string };

/**
 * One event of a decoded provider stream. Decoders guarantee this grammar for every input
 * chunking (the same bytes always give the same events):
 *
 *   message_start (block_start delta* block_stop)* finish+ message_stop
 *
 * `usage` events may appear anywhere after `message_start` and before `message_stop`; each carries
 * the CUMULATIVE usage known so far, and the last one is the call's usage (decoders add an
 * estimated one when the provider sent none). `error` may replace the rest of the stream: after
 * it nothing follows. Block `index` values are unique within a stream, assigned in start order
 * from 0; `choice` is the choice index (0 unless n > 1). Deltas name their block by `index`.
 * Blocks of one choice do not overlap: a block stops before the next block of that choice starts.
 */
export type StreamEvent =
  | { readonly kind: 'message_start'; readonly id: string; readonly model: string; readonly created: number }
  | {
      readonly kind: 'block_start';
      readonly index: number;
      readonly choice: number;
      readonly block: BlockStart;
    }
  | { readonly kind: 'text_delta'; readonly index: number; readonly text: string }
  | { readonly kind: 'tool_call_delta'; readonly index: number; readonly argumentsDelta: string }
  | { readonly kind: 'thinking_delta'; readonly index: number; readonly text: string }
  | { readonly kind: 'signature_delta'; readonly index: number; readonly signature: string }
  | { readonly kind: 'block_stop'; readonly index: number }
  | { readonly kind: 'finish'; readonly choice: number; readonly finish: Finish }
  | { readonly kind: 'usage'; readonly usage: Usage }
  | { readonly kind: 'message_stop' }
  | { readonly kind: 'error'; readonly error: HubpoError };

/**
 * Stateful, pure decoder of one upstream stream. `push` takes bytes exactly as they arrived
 * (any split: mid-line, mid-UTF-8 sequence, mid-binary-frame) and returns the events completed
 * by them; `end` is called once when the upstream body ended and flushes what remains
 * (closing blocks, estimated usage when the provider sent none, or an error event when the
 * stream was cut short).
 */
export interface StreamDecoder {
  push(chunk: Uint8Array): StreamEvent[];
  end(): StreamEvent[];
}
