import { isObject, tryParseJson } from '../../shared/json-value.js';
import { UTF8_DECODER } from '../../shared/utf8.js';

const LF = 0x0a;
const CR = 0x0d;
const DATA_PREFIX = 'data:';

/**
 * For gateways that relay an OpenAI-family upstream stream byte for byte to an OpenAI client
 * instead of decoding and re-rendering it: forwards every SSE event unchanged except the
 * usage-only chunk (`"choices": []` with `usage`) that Hubpo requested upstream
 * (`stream_options.include_usage`) but the client did not. Feed the same bytes to the adapter's
 * stream decoder to still get the usage for accounting. Events are forwarded whole, once their
 * terminating blank line arrived.
 */
export class OpenAIUsageChunkFilter {
  #event: Uint8Array[] = [];
  #line: Uint8Array[] = [];
  #data = '';

  /** Returns the bytes to forward to the client now (possibly empty). */
  push(chunk: Uint8Array): Uint8Array {
    const out: Uint8Array[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) break;
      this.#line.push(chunk.subarray(start, nl + 1));
      this.#endLine(out);
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.#line.push(chunk.slice(start));
    }
    return concat(out);
  }

  /** Flushes whatever is buffered (an unterminated last event is forwarded as is). */
  end(): Uint8Array {
    const out = [...this.#event, ...this.#line];
    this.#event = [];
    this.#line = [];
    return concat(out);
  }

  #endLine(out: Uint8Array[]): void {
    const line = concat(this.#line);
    this.#line = [];
    let end = line.length - 1; // drop LF
    if (end > 0 && line[end - 1] === CR) end--;
    this.#event.push(line);
    if (end === 0) {
      if (!isUsageOnly(this.#data)) out.push(concat(this.#event));
      this.#event = [];
      this.#data = '';
      return;
    }
    const text = UTF8_DECODER.decode(line.subarray(0, end));
    if (text.startsWith(DATA_PREFIX)) this.#data += text.slice(text.charCodeAt(5) === 0x20 ? 6 : 5);
  }
}

function isUsageOnly(data: string): boolean {
  // Cheap pre-check so only the rare candidate chunk is parsed.
  if (!data.includes('"choices":[]') && !data.includes('"choices": []')) return false;
  const json = tryParseJson(data);
  return (
    isObject(json) &&
    Array.isArray(json['choices']) &&
    json['choices'].length === 0 &&
    isObject(json['usage'])
  );
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
