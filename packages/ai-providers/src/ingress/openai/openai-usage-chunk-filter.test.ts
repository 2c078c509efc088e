import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adapters } from '../../adapters.js';
import { OpenAIUsageChunkFilter } from './openai-usage-chunk-filter.js';

const stream = readFileSync(join(__dirname, '../../providers/openai/testdata/chat.stream.sse'));

describe('OpenAIUsageChunkFilter', () => {
  it('forwards every event byte for byte except the usage-only chunk, under any chunking', () => {
    const filter = new OpenAIUsageChunkFilter();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 3) out.push(Buffer.from(filter.push(stream.subarray(i, i + 3))));
    out.push(Buffer.from(filter.end()));
    const text = Buffer.concat(out).toString('utf8');
    const original = stream
      .toString('utf8')
      .split('\n\n')
      .filter((e) => e.length > 0);
    const kept = text.split('\n\n').filter((e) => e.length > 0);
    expect(kept).toHaveLength(original.length - 1);
    expect(kept.some((e) => e.includes('"choices":[]'))).toBe(false);
    expect(kept[kept.length - 1]).toBe('data: [DONE]');
    expect(text).toContain('👋');
  });

  it('leaves the decoder free to read usage from the unfiltered bytes', () => {
    const events = adapters.openai.createStreamDecoder().push(stream);
    expect(events.find((e) => e.kind === 'usage')).toMatchObject({
      usage: { inputTokens: 1117, cachedInputTokens: 1024 },
    });
  });
});
