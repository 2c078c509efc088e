import { JetStreamUsageSink } from '@hubpo/gateway';
import { startMockProvider, startNats } from '@hubpo/testkit';
import type { MockProviderServer, NatsProcess } from '@hubpo/testkit';
import type { NatsConnection } from 'nats';
import { route } from '../../../src/runtime/testdata/config-factories.js';
import { aiModel, aiRule, aiTarget, chatBody, postJson, price } from '../ai/ai-fixtures.js';
import { startGateway } from '../runtime/runtime-harness.js';
import type { TestGateway } from '../runtime/runtime-harness.js';
import { createUsageStream, openNats, readUsageStream, silentLogger } from './usage-stream-fixtures.js';

jest.setTimeout(30_000);

/*
 * The gateway's AI path with the JetStream sink, against wire-faithful mock providers: the
 * records that reach the stream carry the token counts the provider itself reported.
 */
describe('usage records of AI calls on the HUBPO_USAGE stream', () => {
  let nats: NatsProcess;
  let nc: NatsConnection;
  let openai: MockProviderServer;
  let anthropic: MockProviderServer;
  let sink: JetStreamUsageSink;
  let gw: TestGateway;

  beforeAll(async () => {
    nats = await startNats();
    let jsm;
    ({ nc, jsm } = await openNats(nats.url));
    await createUsageStream(jsm);
    openai = await startMockProvider('openai', { cachedInputTokens: 4 });
    anthropic = await startMockProvider('anthropic', { cachedInputTokens: 3, cacheWriteTokens: 2 });
    sink = new JetStreamUsageSink({ servers: nats.url, cluster: 'test', logger: silentLogger });
    sink.start();
    gw = await startGateway(
      [
        route('default/ai', [aiRule()]),
        aiModel('chat', [
          aiTarget('primary', 'openai', {
            endpoint: openai.endpoint,
            model: 'gpt-x',
            pricing: [price(1, 2)],
          }),
        ]),
        aiModel('claude', [
          aiTarget('anthropic', 'anthropic', { endpoint: anthropic.endpoint, model: 'claude-x' }),
        ]),
      ],
      { ai: { usageSink: sink } },
    );
  });
  afterAll(async () => {
    await gw.close();
    await sink.stop(5_000);
    await Promise.all([openai.stop(), anthropic.stop()]);
    await nc.close();
    await nats.stop();
  });

  it('a completion and a stream: the stored tokens are the provider own counts', async () => {
    const plain = await postJson(`${gw.url}/v1/chat/completions`, chatBody('count these words please'));
    expect(plain.status).toBe(200);
    await plain.arrayBuffer();
    const streamed = await postJson(
      `${gw.url}/v1/chat/completions`,
      chatBody('and these ones too', { model: 'claude', stream: true }),
    );
    expect(streamed.status).toBe(200);
    await streamed.text();
    await waitForRecords(2);
    const stored = (await readUsageStream(nats.url)).map((m) => m.record);
    const byModel = new Map(stored.map((r) => [r.model, r]));
    const own = [
      { model: 'chat', counts: openai.usage[0]!, provider: 'openai', target: 'primary', stream: false },
      {
        model: 'claude',
        counts: anthropic.usage[0]!,
        provider: 'anthropic',
        target: 'anthropic',
        stream: true,
      },
    ];
    for (const { model, counts, provider, target, stream } of own) {
      expect(byModel.get(model)).toMatchObject({
        provider,
        target,
        stream,
        statusCode: 200,
        errorCode: '',
        estimated: false,
        inputTokens: counts.inputTokens,
        cachedInputTokens: counts.cachedInputTokens,
        cacheWriteTokens: counts.cacheWriteTokens,
        reasoningTokens: counts.reasoningTokens,
        outputTokens: counts.outputTokens,
      });
    }
    const chat = byModel.get('chat')!;
    // $1 / $2 per million tokens: micro-dollars equal the token counts.
    expect(chat.costMicros).toBe(chat.inputTokens + 2 * chat.outputTokens);
  });

  it('a failed call is recorded too, with its status and error code', async () => {
    const before = (await readUsageStream(nats.url)).length;
    openai.failNext(10, { status: 400, message: 'bad request from the provider' });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('this one fails'));
    expect(res.status).toBe(400);
    await res.arrayBuffer();
    await waitForRecords(before + 1);
    const last = (await readUsageStream(nats.url)).at(-1)!.record;
    expect(last).toMatchObject({ model: 'chat', statusCode: 400, inputTokens: 0, outputTokens: 0 });
    expect(last.errorCode).toMatch(/^HUBPO_ERR_/);
    openai.reset();
  });

  async function waitForRecords(count: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await readUsageStream(nats.url)).length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} records on the stream`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
});
