import { crc32 } from 'node:zlib';
import { HubpoError } from '@hubpo/core';
import { UTF8_DECODER, UTF8_ENCODER } from '../../shared/utf8.js';

/**
 * The `application/vnd.amazon.eventstream` binary framing used by Bedrock ConverseStream
 * (https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html, same format):
 *
 *   [total length u32][headers length u32][prelude CRC32 u32][headers][payload][message CRC32 u32]
 *
 * all big-endian; the prelude CRC covers the first 8 bytes, the message CRC everything before
 * it. A header is [name length u8][name utf-8][value type u8][value], value types:
 * 0 true, 1 false, 2 byte, 3 short, 4 int32, 5 int64, 6 bytes (u16 length), 7 string (u16
 * length), 8 timestamp (int64 ms), 9 uuid (16 bytes).
 */

/** Decoded header values: booleans, numbers (byte/short/int32), bigint (int64), Date, bytes (bytes/uuid), strings. */
export type EventStreamHeaderValue = string | boolean | number | bigint | Date | Uint8Array;

export interface EventStreamMessage {
  readonly headers: Readonly<Record<string, EventStreamHeaderValue>>;
  readonly payload: Uint8Array;
}

const PRELUDE_LENGTH = 12;
const OVERHEAD = 16;
/** Frames larger than this are treated as corruption rather than buffered. */
const MAX_MESSAGE_LENGTH = 16 * 1024 * 1024;

function corrupt(message: string): HubpoError {
  return new HubpoError('PROVIDER_ERROR', `corrupt event stream: ${message}`, {
    details: { provider: 'bedrock' },
  });
}

/** Encodes one message (used by mock servers and tests; Bedrock only sends). */
export function encodeEventStreamMessage(message: EventStreamMessage): Uint8Array {
  const headerBytes = encodeHeaders(message.headers);
  const total = OVERHEAD + headerBytes.length + message.payload.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headerBytes.length);
  view.setUint32(8, crc32(out.subarray(0, 8)));
  out.set(headerBytes, PRELUDE_LENGTH);
  out.set(message.payload, PRELUDE_LENGTH + headerBytes.length);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)));
  return out;
}

function encodeHeaders(headers: Readonly<Record<string, EventStreamHeaderValue>>): Uint8Array {
  const parts: Uint8Array[] = [];
  let length = 0;
  for (const name of Object.keys(headers)) {
    const nameBytes = UTF8_ENCODER.encode(name);
    const value = encodeHeaderValue(headers[name] as EventStreamHeaderValue);
    const part = new Uint8Array(1 + nameBytes.length + value.length);
    part[0] = nameBytes.length;
    part.set(nameBytes, 1);
    part.set(value, 1 + nameBytes.length);
    parts.push(part);
    length += part.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function encodeHeaderValue(value: EventStreamHeaderValue): Uint8Array {
  if (typeof value === 'boolean') return Uint8Array.of(value ? 0 : 1);
  if (typeof value === 'number') {
    const out = new Uint8Array(5);
    out[0] = 4;
    new DataView(out.buffer).setInt32(1, value);
    return out;
  }
  if (typeof value === 'bigint' || value instanceof Date) {
    const out = new Uint8Array(9);
    out[0] = typeof value === 'bigint' ? 5 : 8;
    new DataView(out.buffer).setBigInt64(1, typeof value === 'bigint' ? value : BigInt(value.getTime()));
    return out;
  }
  const bytes = typeof value === 'string' ? UTF8_ENCODER.encode(value) : value;
  const out = new Uint8Array(3 + bytes.length);
  out[0] = typeof value === 'string' ? 7 : 6;
  new DataView(out.buffer).setUint16(1, bytes.length);
  out.set(bytes, 3);
  return out;
}

/**
 * Incremental decoder: bytes in any split, whole messages out, CRCs verified. Incoming chunks
 * are queued without copying them together; each message is assembled once, so buffering a
 * large frame delivered byte by byte stays linear.
 */
export class EventStreamDecoder {
  #chunks: Uint8Array[] = [];
  #first = 0;
  #offset = 0;
  #available = 0;

  get bufferedBytes(): number {
    return this.#available;
  }

  push(chunk: Uint8Array): EventStreamMessage[] {
    const out: EventStreamMessage[] = [];
    if (chunk.length > 0) {
      this.#chunks.push(chunk.slice());
      this.#available += chunk.length;
    }
    while (this.#available >= PRELUDE_LENGTH) {
      const prelude = this.#peek(PRELUDE_LENGTH);
      const view = new DataView(prelude.buffer, prelude.byteOffset, PRELUDE_LENGTH);
      const total = view.getUint32(0);
      if (view.getUint32(8) !== crc32(prelude.subarray(0, 8))) throw corrupt('prelude checksum mismatch');
      if (total < OVERHEAD || total > MAX_MESSAGE_LENGTH || view.getUint32(4) > total - OVERHEAD)
        throw corrupt(`bad frame length ${total}`);
      if (this.#available < total) break;
      out.push(decodeMessage(this.#take(total)));
    }
    return out;
  }

  /** Bytes of `length` from the queue head, without consuming them. */
  #peek(length: number): Uint8Array {
    const head = this.#chunks[this.#first] as Uint8Array;
    if (head.length - this.#offset >= length) return head.subarray(this.#offset, this.#offset + length);
    return this.#copy(length, false);
  }

  #take(length: number): Uint8Array {
    const head = this.#chunks[this.#first] as Uint8Array;
    if (head.length - this.#offset >= length) {
      const out = head.subarray(this.#offset, this.#offset + length);
      this.#advance(length);
      return out;
    }
    return this.#copy(length, true);
  }

  #copy(length: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(length);
    let written = 0;
    let index = this.#first;
    let offset = this.#offset;
    while (written < length) {
      const chunk = this.#chunks[index] as Uint8Array;
      const n = Math.min(chunk.length - offset, length - written);
      out.set(chunk.subarray(offset, offset + n), written);
      written += n;
      offset += n;
      if (offset === chunk.length) {
        index++;
        offset = 0;
      }
    }
    if (consume) this.#advance(length);
    return out;
  }

  #advance(length: number): void {
    this.#available -= length;
    let remaining = length;
    while (remaining > 0) {
      const chunk = this.#chunks[this.#first] as Uint8Array;
      const n = Math.min(chunk.length - this.#offset, remaining);
      remaining -= n;
      this.#offset += n;
      if (this.#offset === chunk.length) {
        this.#first++;
        this.#offset = 0;
      }
    }
    // Drop consumed chunks in bulk (no per-chunk shift).
    if (this.#first > 64 || this.#first === this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }
}

function decodeMessage(bytes: Uint8Array): EventStreamMessage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const total = bytes.length;
  if (view.getUint32(total - 4) !== crc32(bytes.subarray(0, total - 4)))
    throw corrupt('message checksum mismatch');
  const headersLength = view.getUint32(4);
  const headers = decodeHeaders(bytes.subarray(PRELUDE_LENGTH, PRELUDE_LENGTH + headersLength));
  return { headers, payload: bytes.subarray(PRELUDE_LENGTH + headersLength, total - 4) };
}

function decodeHeaders(bytes: Uint8Array): Record<string, EventStreamHeaderValue> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const headers: Record<string, EventStreamHeaderValue> = {};
  let pos = 0;
  while (pos < bytes.length) {
    const nameLength = view.getUint8(pos);
    const name = UTF8_DECODER.decode(bytes.subarray(pos + 1, pos + 1 + nameLength));
    pos += 1 + nameLength;
    const type = view.getUint8(pos);
    pos += 1;
    switch (type) {
      case 0:
      case 1:
        headers[name] = type === 0;
        break;
      case 2:
        headers[name] = view.getInt8(pos);
        pos += 1;
        break;
      case 3:
        headers[name] = view.getInt16(pos);
        pos += 2;
        break;
      case 4:
        headers[name] = view.getInt32(pos);
        pos += 4;
        break;
      case 5:
      case 8: {
        const v = view.getBigInt64(pos);
        headers[name] = type === 5 ? v : new Date(Number(v));
        pos += 8;
        break;
      }
      case 6:
      case 7: {
        const length = view.getUint16(pos);
        const value = bytes.subarray(pos + 2, pos + 2 + length);
        headers[name] = type === 7 ? UTF8_DECODER.decode(value) : value.slice();
        pos += 2 + length;
        break;
      }
      case 9:
        headers[name] = bytes.slice(pos, pos + 16);
        pos += 16;
        break;
      default:
        throw corrupt(`unknown header value type ${type}`);
    }
  }
  return headers;
}
