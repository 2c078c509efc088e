import { SseParser } from './sse-parser.js';

describe('SseParser', () => {
  it('decodes multi-byte characters split across chunks', () => {
    const bytes = new TextEncoder().encode('data: héllo 👋\n\n');
    const parser = new SseParser();
    const events = [];
    for (let i = 0; i < bytes.length; i++) events.push(...parser.push(bytes.subarray(i, i + 1)));
    expect(events).toEqual([{ event: '', data: 'héllo 👋' }]);
  });

  it('handles CRLF, named events, comments, multi-line data and a final event without blank line', () => {
    const parser = new SseParser();
    const text =
      ': keep-alive\r\nevent: message_start\r\ndata: {"a":1}\r\n\r\ndata: line1\ndata: line2\n\nid: 7\ndata:tail';
    const events = parser.push(new TextEncoder().encode(text));
    expect(events).toEqual([
      { event: 'message_start', data: '{"a":1}' },
      { event: '', data: 'line1\nline2' },
    ]);
    expect(parser.end()).toEqual([{ event: '', data: 'tail' }]);
  });

  it('does not depend on the caller keeping its buffer', () => {
    const parser = new SseParser();
    const buf = new TextEncoder().encode('data: abc');
    parser.push(buf);
    buf.fill(0x41);
    expect(parser.push(new TextEncoder().encode('\n\n'))).toEqual([{ event: '', data: 'abc' }]);
  });
});
