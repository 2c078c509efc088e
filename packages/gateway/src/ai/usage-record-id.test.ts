import { usageRecordId } from './usage-record-id.js';

describe('usageRecordId', () => {
  it('keeps the request id for correlation but is unique when clients reuse one', () => {
    const a = usageRecordId('client-chosen');
    const b = usageRecordId('client-chosen');
    expect(a.startsWith('client-chosen~')).toBe(true);
    expect(a).not.toBe(b);
  });
});
