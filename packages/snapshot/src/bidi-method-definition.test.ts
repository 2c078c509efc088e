import { bidiMethodDefinition } from './bidi-method-definition.js';
import type { BidiMethodCodecs } from './bidi-method-definition.js';
import { usageV1Descriptor } from './generated/index.js';

interface Text {
  readonly text: string;
}

const codecs: BidiMethodCodecs<Text, Text> = {
  encodeRequest: (m) => Buffer.from(`req:${m.text}`),
  decodeRequest: (b) => ({ text: `req<${Buffer.from(b).toString()}>` }),
  encodeResponse: (m) => Buffer.from(`res:${m.text}`),
  decodeResponse: (b) => ({ text: `res<${Buffer.from(b).toString()}>` }),
};

describe('bidiMethodDefinition', () => {
  it('takes path and streaming flags from the descriptor and messages through the given codecs', () => {
    const method = bidiMethodDefinition(usageV1Descriptor, 'hubpo.usage.v1.UsageReporting', 'Report', codecs);
    expect(method.path).toBe('/hubpo.usage.v1.UsageReporting/Report');
    expect(method.requestStream).toBe(true);
    expect(method.responseStream).toBe(true);
    expect(method.requestSerialize({ text: 'a' }).toString()).toBe('req:a');
    expect(method.requestDeserialize(Buffer.from('b'))).toEqual({ text: 'req<b>' });
    expect(method.responseSerialize({ text: 'c' }).toString()).toBe('res:c');
    expect(method.responseDeserialize(Buffer.from('d'))).toEqual({ text: 'res<d>' });
  });

  it.each([
    ['an unknown service', 'hubpo.usage.v1.Nope', 'Report'],
    ['an unknown method', 'hubpo.usage.v1.UsageReporting', 'Nope'],
    ['a message instead of a service', 'hubpo.usage.v1.UsageRecord', 'Report'],
  ])('refuses %s with an INTERNAL error', (_case, service, method) => {
    expect(() => bidiMethodDefinition(usageV1Descriptor, service, method, codecs)).toThrow(
      expect.objectContaining({
        code: 'HUBPO_ERR_INTERNAL',
        message: `descriptor lacks the bidirectional ${service}/${method}`,
      }),
    );
  });
});
