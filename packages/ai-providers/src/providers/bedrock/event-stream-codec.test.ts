import { crc32 } from 'node:zlib';
import { EventStreamDecoder, encodeEventStreamMessage } from './event-stream-codec.js';

const payload = new TextEncoder().encode('{"contentBlockIndex":0,"delta":{"text":"Hi"}}');
const headers = {
  ':event-type': 'contentBlockDelta',
  ':content-type': 'application/json',
  ':message-type': 'event',
};

describe('event-stream codec', () => {
  it('frames a message as prelude (lengths + CRC), headers, payload and message CRC', () => {
    const bytes = encodeEventStreamMessage({ headers, payload });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    // header: 1 name-length byte + name + 1 type byte (7 = string) + 2 length bytes + value
    const headerBytes = Object.entries(headers).reduce((n, [k, v]) => n + 1 + k.length + 1 + 2 + v.length, 0);
    expect(view.getUint32(0)).toBe(bytes.length);
    expect(view.getUint32(4)).toBe(headerBytes);
    expect(view.getUint32(8)).toBe(crc32(bytes.subarray(0, 8)));
    expect(view.getUint32(bytes.length - 4)).toBe(crc32(bytes.subarray(0, bytes.length - 4)));
    expect(bytes.length).toBe(16 + headerBytes + payload.length);
    expect(bytes[12]).toBe(':event-type'.length);
    expect(bytes[12 + 1 + ':event-type'.length]).toBe(7);
  });

  it('decodes messages split at every byte, and several per chunk', () => {
    const one = encodeEventStreamMessage({ headers, payload });
    const two = encodeEventStreamMessage({
      headers: { ':message-type': 'event', flag: true, count: 42, big: 7n, when: new Date(1000) },
      payload: new Uint8Array(0),
    });
    const all = Buffer.concat([one, two, one]);
    const decoder = new EventStreamDecoder();
    const messages = [];
    for (let i = 0; i < all.length; i++) messages.push(...decoder.push(all.subarray(i, i + 1)));
    expect(messages).toHaveLength(3);
    expect(messages[0]!.headers).toEqual(headers);
    expect(new TextDecoder().decode(messages[0]!.payload)).toBe(
      '{"contentBlockIndex":0,"delta":{"text":"Hi"}}',
    );
    expect(messages[1]!.headers).toEqual({
      ':message-type': 'event',
      flag: true,
      count: 42,
      big: 7n,
      when: new Date(1000),
    });
    expect(new EventStreamDecoder().push(all)).toHaveLength(3);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('rejects a corrupted payload (message CRC) and a corrupted prelude', () => {
    const bytes = encodeEventStreamMessage({ headers, payload });
    const badPayload = bytes.slice();
    badPayload[bytes.length - 6]! ^= 0xff;
    expect(() => new EventStreamDecoder().push(badPayload)).toThrow(/message checksum/);
    const badPrelude = bytes.slice();
    badPrelude[2]! ^= 0x01;
    expect(() => new EventStreamDecoder().push(badPrelude)).toThrow(/prelude checksum/);
  });
});
