import { UTF8_DECODER } from './utf8.js';

/** One dispatched server-sent event. `event` is '' when the event had no `event:` field. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Incremental parser of `text/event-stream` (https://html.spec.whatwg.org/multipage/server-sent-events.html)
 * at the byte level. Lines are split on LF bytes before UTF-8 decoding, so a multi-byte character
 * split across chunks is decoded whole (LF never occurs inside a UTF-8 sequence). Each byte is
 * scanned once: an unfinished line is kept as a list of pieces and joined once when its LF arrives,
 * so a long line delivered one byte at a time costs linear, not quadratic, time.
 * Line endings LF and CRLF are supported (a bare CR terminator is not: no provider sends it).
 */
export class SseParser {
  #pieces: Uint8Array[] = [];
  #piecesLength = 0;
  #event = '';
  #data: string[] = [];

  push(chunk: Uint8Array): SseEvent[] {
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) break;
      this.#line(this.#takeLine(chunk, start, nl), out);
      start = nl + 1;
    }
    if (start < chunk.length) {
      // Copy: the caller may reuse its buffer after push returns.
      const rest = chunk.slice(start);
      this.#pieces.push(rest);
      this.#piecesLength += rest.length;
    }
    return out;
  }

  /** Flushes a final line and event that the stream did not terminate with a blank line. */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.#piecesLength > 0) this.#line(this.#takeLine(new Uint8Array(0), 0, 0), out);
    this.#dispatch(out);
    return out;
  }

  #takeLine(chunk: Uint8Array, start: number, end: number): string {
    let bytes: Uint8Array;
    if (this.#piecesLength === 0) {
      bytes = chunk.subarray(start, end);
    } else {
      bytes = new Uint8Array(this.#piecesLength + end - start);
      let offset = 0;
      for (const piece of this.#pieces) {
        bytes.set(piece, offset);
        offset += piece.length;
      }
      bytes.set(chunk.subarray(start, end), offset);
      this.#pieces = [];
      this.#piecesLength = 0;
    }
    const length = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
    return UTF8_DECODER.decode(bytes.subarray(0, length));
  }

  #line(line: string, out: SseEvent[]): void {
    if (line.length === 0) {
      this.#dispatch(out);
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) return; // comment
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    // `id` and `retry` carry nothing the adapters use.
  }

  #dispatch(out: SseEvent[]): void {
    if (this.#data.length > 0) {
      out.push({
        event: this.#event,
        data: this.#data.length === 1 ? (this.#data[0] as string) : this.#data.join('\n'),
      });
    }
    this.#data = [];
    this.#event = '';
  }
}

/** Frames one SSE event the way OpenAI and Anthropic do (`event:` line only when named). */
export function formatSse(data: string, event?: string): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`;
}
