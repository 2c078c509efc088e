import Anthropic from '@anthropic-ai/sdk';
import { MemoryUsageSink } from '@hubpo/gateway';
import { refusedUrl, startMockProvider } from '@hubpo/testkit';
import type { MockProviderServer } from '@hubpo/testkit';
import OpenAI from 'openai';
import { ok } from '../support/admin-client.js';
import { eventually } from '../support/eventually.js';
import { Platform } from '../support/platform.js';
import { aiModel, aiRoute } from './ai-resources.js';

/**
 * Fallback through the whole platform: a primary that answers 429, 500, hangs or refuses
 * connections hands the request to the next target, the usage record names the target that
 * served, breakers open and close, and every request (aborted streams included) leaves exactly
 * one usage record whose tokens match the serving mock server's own count.
 */
describe('AI fallback journeys', () => {
  const usage = new MemoryUsageSink();
  let platform: Platform;
  let primary: MockProviderServer;
  let secondary: MockProviderServer;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    platform = await Platform.start();
    primary = await startMockProvider('openai');
    secondary = await startMockProvider('anthropic');
    const gateway = await platform.startGateway('grpc', 'gw-ai-fallback', 'local', {
      usageSink: usage,
      aiBreaker: { failureThreshold: 3, coolDownMs: 400 },
    });
    const gatewayUrl = gateway.gateway.url;
    const spec = {
      retry: { attempts: 1, backoff: '10ms' },
      timeouts: { request: '1s', firstToken: '300ms' },
    };
    ok(
      await platform.admin.create(
        aiModel(
          'chat',
          [
            { name: 'primary', provider: 'openai', endpoint: primary.endpoint, priority: 0 },
            { name: 'secondary', provider: 'anthropic', endpoint: secondary.endpoint, priority: 1 },
          ],
          spec,
        ),
      ),
    );
    ok(
      await platform.admin.create(
        aiModel(
          'down',
          [
            { name: 'gone', provider: 'openai', endpoint: `${await refusedUrl()}/v1`, priority: 0 },
            { name: 'secondary', provider: 'anthropic', endpoint: secondary.endpoint, priority: 1 },
          ],
          spec,
        ),
      ),
    );
    ok(await platform.admin.create(aiRoute('ai', '/llm')));
    await eventually(
      async () => ((await (await fetch(`${gatewayUrl}/llm/v1/models`)).json()) as any).data?.length === 2,
      10_000,
      'the AI models to be served',
    );
    openai = new OpenAI({ baseURL: `${gatewayUrl}/llm/v1`, apiKey: 'unused', maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: `${gatewayUrl}/llm`, apiKey: 'unused', maxRetries: 0 });
  }, 120_000);

  // Up to the gateway's 25 s drain: after the aborted stream the SDK's HTTP client leaves a
  // connection open that never sends a request, which the drain waits out.
  afterAll(async () => {
    await platform?.stop();
    await primary?.stop();
    await secondary?.stop();
  }, 60_000);

  beforeEach(async () => {
    primary.reset();
    secondary.reset();
    // Let any open breaker cool down and close it with a good call.
    await new Promise((resolve) => setTimeout(resolve, 450));
    await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'warm' }] });
    primary.reset();
    secondary.reset();
    usage.clear();
  });

  async function servedBy(expected: 'primary' | 'secondary', stream = false): Promise<void> {
    const [rec] = await usage.waitFor(1);
    const server = expected === 'primary' ? primary : secondary;
    expect(rec).toMatchObject({
      target: expected,
      provider: expected === 'primary' ? 'openai' : 'anthropic',
      statusCode: 200,
      stream,
      inputTokens: server.usage.at(-1)!.inputTokens,
      outputTokens: server.usage.at(-1)!.outputTokens,
    });
    expect(usage.records).toHaveLength(1);
  }

  it('429 from the primary: the secondary answers', async () => {
    primary.failNext(1, { status: 429 });
    const reply = await openai.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(reply.choices[0]!.message.content).toBe('hi');
    await servedBy('secondary');
  });

  it('500s from the primary: retried once, then the secondary answers', async () => {
    primary.failNext(2, { status: 500 });
    const { data, response } = await openai.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('hi');
    expect(response.headers.get('x-hubpo-target')).toBe('secondary');
    expect(primary.calls).toHaveLength(2);
    await servedBy('secondary');
  });

  it('a primary that hangs: the first-token timeout hands the stream to the secondary', async () => {
    primary.hang();
    const stream = anthropic.messages.stream({
      model: 'chat',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'hello' }],
    });
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'hello' }]);
    await servedBy('secondary', true);
  });

  it('a primary that refuses connections: the secondary answers', async () => {
    const reply = await openai.chat.completions.create({
      model: 'down',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(reply.choices[0]!.message.content).toBe('hi');
    const [rec] = await usage.waitFor(1);
    expect(rec).toMatchObject({ model: 'down', target: 'secondary' });
  });

  it('the circuit breaker opens after repeated failures, then closes after its cool-down', async () => {
    primary.failNext(3, { status: 500 }); // two requests: 2 + 1 failed attempts reach the threshold of 3
    await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'a' }] });
    await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'b' }] });
    const callsWhenOpen = primary.calls.length;
    expect(callsWhenOpen).toBe(3);
    await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'c' }] });
    expect(primary.calls).toHaveLength(callsWhenOpen); // open: the primary is skipped
    await new Promise((resolve) => setTimeout(resolve, 450));
    const { response } = await openai.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'd' }] })
      .withResponse();
    expect(response.headers.get('x-hubpo-target')).toBe('primary'); // the probe succeeded: closed
    expect(primary.calls).toHaveLength(callsWhenOpen + 1);
    const records = await usage.waitFor(4);
    expect(records.map((r) => r.target)).toEqual(['secondary', 'secondary', 'secondary', 'primary']);
  });

  it('an aborted stream leaves exactly one record: aborted, tokens counted so far', async () => {
    primary.slowStream(50);
    const stream = await openai.chat.completions.create({
      model: 'chat',
      stream: true,
      messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten eleven twelve' }],
    });
    let received = '';
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta?.content ?? '';
      if (received.length > 0) break; // leaving the loop aborts the request
    }
    const [rec] = await usage.waitFor(1);
    expect(rec).toMatchObject({ aborted: true, stream: true, target: 'primary', estimated: true });
    expect(rec!.inputTokens).toBe(primary.usage.at(-1)!.inputTokens);
    expect(rec!.outputTokens).toBeGreaterThan(0);
    expect(rec!.outputTokens).toBeLessThan(primary.usage.at(-1)!.outputTokens);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(usage.records).toHaveLength(1);
  });
});
