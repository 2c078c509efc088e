import { MemoryUsageSink } from '../../../src/ai/index.js';
import { route } from '../../../src/runtime/testdata/config-factories.js';
import { startGateway } from '../runtime/runtime-harness.js';
import type { TestGateway } from '../runtime/runtime-harness.js';
import { aiModel, aiRule, aiTarget, chatBody, postJson, price } from './ai-fixtures.js';

describe('AI ingress on the built-in mock provider', () => {
  let gw: TestGateway;
  const usage = new MemoryUsageSink();

  beforeAll(async () => {
    gw = await startGateway(
      [
        route('default/ai', [aiRule()]),
        aiModel('chat', [aiTarget('mock', 'mock', { pricing: [price(0.15, 0.6)] })]),
      ],
      { ai: { usageSink: usage } },
    );
  });
  afterAll(() => gw.close());

  it('answers an OpenAI chat completion with usage and cost headers', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hello there'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.choices[0].message.content).toBe('hello there');
    expect(res.headers.get('x-hubpo-model')).toBe('chat');
    expect(res.headers.get('x-hubpo-target')).toBe('mock');
    expect(res.headers.get('x-hubpo-tokens-input')).toBe(String(body.usage.prompt_tokens));
    const recs = await usage.waitFor(1);
    expect(recs[0]).toMatchObject({ model: 'chat', target: 'mock', provider: 'mock', statusCode: 200 });
  });
});
