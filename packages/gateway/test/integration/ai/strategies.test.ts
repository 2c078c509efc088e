import type { IncomingMessage, ServerResponse } from 'node:http';
import { route } from '../../../src/runtime/testdata/config-factories.js';
import { startGateway, startUpstream } from '../runtime/runtime-harness.js';
import type { TestGateway, TestUpstream } from '../runtime/runtime-harness.js';
import { aiModel, aiRule, aiTarget, chatBody, postJson, price } from './ai-fixtures.js';

/** An OpenAI-compatible upstream that answers after `delayMs`. */
function delayed(delayMs: number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    req.on('end', () => {
      setTimeout(() => {
        const body = JSON.stringify({
          id: 'c',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      }, delayMs);
    });
  };
}

async function targetOf(gw: TestGateway, model: string): Promise<string> {
  const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi', { model }));
  await res.text();
  expect(res.status).toBe(200);
  return res.headers.get('x-hubpo-target')!;
}

describe('AI routing strategies', () => {
  const gateways: TestGateway[] = [];
  const upstreams: TestUpstream[] = [];
  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    for (const up of upstreams) await up.close();
  });

  it('Weighted: traffic splits by weight; weight 0 is a backup only', async () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const gw = await startGateway(
      [
        route('default/ai', [aiRule()]),
        aiModel(
          'chat',
          [
            aiTarget('big', 'mock', { weight: 3 }),
            aiTarget('small', 'mock', { weight: 1 }),
            aiTarget('backup', 'mock', { weight: 0 }),
          ],
          { strategy: 'Weighted' },
        ),
      ],
      { random },
    );
    gateways.push(gw);
    const counts: Record<string, number> = { big: 0, small: 0, backup: 0 };
    for (let i = 0; i < 400; i++) counts[await targetOf(gw, 'chat')]!++;
    expect(counts['backup']).toBe(0);
    expect(counts['big']! / 400).toBeGreaterThan(0.65);
    expect(counts['big']! / 400).toBeLessThan(0.85);
  });

  it('LowestCost: the cheapest priced target, whatever its priority; unpriced last', async () => {
    const gw = await startGateway([
      route('default/ai', [aiRule()]),
      aiModel(
        'chat',
        [
          aiTarget('unpriced', 'mock', { priority: 0 }),
          aiTarget('premium', 'mock', { priority: 1, pricing: [price(5, 15)] }),
          aiTarget('budget', 'mock', { priority: 2, pricing: [price(0.15, 0.6)] }),
        ],
        { strategy: 'LowestCost' },
      ),
    ]);
    gateways.push(gw);
    expect(await targetOf(gw, 'chat')).toBe('budget');
    expect(await targetOf(gw, 'chat')).toBe('budget');
  });

  it('LeastLatency: measures each target once, then prefers the faster one', async () => {
    const slow = await startUpstream(delayed(60));
    const fast = await startUpstream(delayed(2));
    upstreams.push(slow, fast);
    const gw = await startGateway([
      route('default/ai', [aiRule()]),
      aiModel(
        'chat',
        [
          aiTarget('slow', 'openai-compatible', { endpoint: slow.url, priority: 0 }),
          aiTarget('fast', 'openai-compatible', { endpoint: fast.url, priority: 1 }),
        ],
        { strategy: 'LeastLatency' },
      ),
    ]);
    gateways.push(gw);
    expect(await targetOf(gw, 'chat')).toBe('slow'); // both unmeasured: priority order
    expect(await targetOf(gw, 'chat')).toBe('fast'); // the one still unmeasured
    for (let i = 0; i < 5; i++) expect(await targetOf(gw, 'chat')).toBe('fast');
    expect(gw.state.ai.targetState('default/chat/fast')!.latency.samples).toBe(6);
  });
});
