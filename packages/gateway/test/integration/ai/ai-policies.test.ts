import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startMockProvider } from '@hubpo/testkit';
import type { MockProviderServer } from '@hubpo/testkit';
import type { AILoggingConfig, ConfigObject } from '@hubpo/snapshot';
import { pino } from 'pino';
import { MemoryUsageSink, pinoAILogSink } from '../../../src/ai/index.js';
import { policy, route } from '../../../src/runtime/testdata/config-factories.js';
import { startGateway, startUpstream } from '../runtime/runtime-harness.js';
import type { TestGateway, TestUpstream } from '../runtime/runtime-harness.js';
import { aiModel, aiRule, aiTarget, chatBody, openAIChunks, postJson, seal } from './ai-fixtures.js';

/**
 * AI policies on the request path: prompt/completion logging with redaction (pino lines with
 * component "ai-log", only when a policy asks), provider-key pass-through (only when a policy
 * allows it; the key never reaches logs, usage records or responses), and the timeouts that
 * govern AI rules (the AIModel's, not the route's plain-proxy default).
 */
describe('AI policies', () => {
  const key = randomBytes(32);
  const usage = new MemoryUsageSink();
  let provider: MockProviderServer;
  let logText = '';
  const gateways: TestGateway[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logText += chunk.toString('utf8');
        done();
      },
    }),
  );

  beforeAll(async () => {
    provider = await startMockProvider('openai');
  });
  afterAll(async () => {
    await provider.stop();
  });
  beforeEach(() => {
    provider.reset();
    usage.clear();
    logText = '';
  });
  afterEach(async () => {
    for (const gw of gateways.splice(0)) await gw.close();
  });

  function logLines(): Record<string, unknown>[] {
    return logText
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['component'] === 'ai-log');
  }

  function model(name: string) {
    return aiModel(name, [
      aiTarget('openai', 'openai', {
        model: 'mock-model',
        endpoint: provider.endpoint,
        credential: seal('sk-stored-key-0001', key),
      }),
    ]);
  }

  const LOGGING: AILoggingConfig = {
    prompts: true,
    completions: true,
    redact: ['email', 'phone', 'creditCard', 'apiKey', 'ipAddress'],
    patterns: [{ name: 'ticket', regex: 'TCK-[0-9]{6}' }],
    maxChars: 4096,
  };

  async function gateway(objects: readonly ConfigObject[]): Promise<TestGateway> {
    const gw = await startGateway([route('default/ai', [aiRule()]), ...objects], {
      ai: { usageSink: usage, dataplaneKey: key, aiLog: pinoAILogSink(logger) },
    });
    gateways.push(gw);
    return gw;
  }

  describe('prompt and completion logging', () => {
    const objects = (): ConfigObject[] => [
      model('logged'),
      model('quiet'),
      policy('default/log', { targets: [{ kind: 'aimodel', id: 'default/logged' }], aiLogging: LOGGING }),
    ];
    const secretText = 'mail ana@example.com about TCK-123456, card 4111 1111 1111 1111';

    it('writes one redacted ai-log line per request when a policy asks', async () => {
      const gw = await gateway(objects());
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody(secretText, { model: 'logged' }));
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { choices: { message: { content: string } }[] };
      expect(answer.choices[0]!.message.content).toContain('ana@example.com'); // the client gets it all
      await usage.waitFor(1);
      const lines = logLines();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 30,
        component: 'ai-log',
        requestId: res.headers.get('x-request-id'),
        route: 'default/ai',
        model: 'logged',
        target: 'openai',
        consumer: null,
        status: 200,
        stream: false,
        prompt: [
          {
            role: 'user',
            text: 'mail [REDACTED:email] about [REDACTED:ticket], card [REDACTED:creditCard]',
          },
        ],
      });
      expect(lines[0]!['completion']).toContain('[REDACTED:email]');
      expect(logText).not.toContain('ana@example.com');
      expect(logText).not.toContain('4111');
    });

    it('logs the assembled text of a stream', async () => {
      const gw = await gateway(objects());
      const res = await postJson(
        `${gw.url}/v1/chat/completions`,
        chatBody('stream to bo@example.org please', { model: 'logged', stream: true }),
      );
      const chunks = openAIChunks(await res.text());
      const streamed = chunks.map((c) => (c.choices[0]?.delta?.content as string | undefined) ?? '').join('');
      expect(streamed).toContain('bo@example.org');
      await usage.waitFor(1);
      const [line] = logLines();
      expect(line).toMatchObject({ stream: true, status: 200 });
      expect(line!['completion']).toBe(streamed.replace('bo@example.org', '[REDACTED:email]'));
    });

    it('never logs prompt or completion text of a request no policy covers', async () => {
      const gw = await gateway(objects());
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody(secretText, { model: 'quiet' }));
      expect(res.status).toBe(200);
      await res.text();
      await usage.waitFor(1);
      expect(logLines()).toEqual([]);
      expect(logText).not.toContain('TCK-123456');
      expect(logText).not.toContain('ana@example.com');
    });
  });

  describe('provider-key pass-through', () => {
    const header = 'x-hubpo-provider-key';
    const clientKey = 'sk-client-own-key-0002';

    function lastAuthorization(): string | undefined {
      const call = provider.calls[provider.calls.length - 1]!;
      return call.headers.authorization;
    }

    it('without a policy, ignores the client key and never forwards its header', async () => {
      const gw = await gateway([model('chat')]);
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'), { [header]: clientKey });
      expect(res.status).toBe(200);
      await res.text();
      expect(lastAuthorization()).toBe('Bearer sk-stored-key-0001');
      expect(provider.calls[0]!.headers[header]).toBeUndefined();
    });

    it('with a policy, the client key reaches the provider and nowhere else', async () => {
      const gw = await gateway([
        model('chat'),
        policy('default/byok', {
          targets: [{ kind: 'route', id: 'default/ai' }],
          aiCredentials: { passThrough: true, header, providers: null },
          aiLogging: LOGGING,
        }),
      ]);
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'), { [header]: clientKey });
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(lastAuthorization()).toBe(`Bearer ${clientKey}`);
      expect(provider.calls[0]!.headers[header]).toBeUndefined();
      const [record] = await usage.waitFor(1);
      expect(JSON.stringify(record)).not.toContain(clientKey);
      expect(body).not.toContain(clientKey);
      expect(JSON.stringify([...res.headers])).not.toContain(clientKey);
      expect(logLines()).toHaveLength(1);
      expect(logText).not.toContain(clientKey);

      // A provider that quotes the refused key: the client's answer does not carry it.
      provider.failNext(1, { status: 401, message: `Incorrect API key provided: ${clientKey}` });
      const refused = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'), {
        [header]: clientKey,
      });
      expect(refused.status).toBe(502);
      const refusedBody = await refused.text();
      expect(refusedBody).toContain('HUBPO_ERR_PROVIDER_AUTH');
      expect(refusedBody).toContain('Incorrect API key provided: [REDACTED]');
      expect(refusedBody).not.toContain(clientKey);

      // Without the header the stored credential is used.
      const plain = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
      await plain.text();
      expect(lastAuthorization()).toBe('Bearer sk-stored-key-0001');
    });
  });

  describe('timeouts of AI rules', () => {
    let slow: TestUpstream;
    beforeAll(async () => {
      // An OpenAI-compatible upstream that answers after 600 ms.
      slow = await startUpstream((req, res) => {
        req.resume();
        req.on('end', () => {
          setTimeout(() => {
            const body = JSON.stringify({
              id: 'c1',
              object: 'chat.completion',
              created: 1,
              model: 'slow',
              choices: [{ index: 0, message: { role: 'assistant', content: 'late' }, finish_reason: 'stop' }],
              usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
            });
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(body);
          }, 600);
        });
      });
    });
    afterAll(async () => {
      await slow.close();
    });

    function slowModel(requestMs: number) {
      return aiModel('chat', [aiTarget('slow', 'openai', { model: 'slow', endpoint: `${slow.url}/v1` })], {
        retry: { attempts: 0, backoffMs: 1 },
        timeouts: { requestMs, firstTokenMs: requestMs },
      });
    }
    const shortRouteTimeout = {
      timeouts: { requestMs: 200, backendRequestMs: 100, connectMs: 1_000 },
    };

    it('a route timeout shorter than the call does not cut an AI request', async () => {
      const gw = await startGateway(
        [route('default/ai', [aiRule(null, shortRouteTimeout)]), slowModel(5_000)],
        { ai: { usageSink: usage } },
      );
      gateways.push(gw);
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
      expect(res.status).toBe(200);
      expect(
        ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content,
      ).toBe('late');
    });

    it('a stream that outlasts the route timeout runs to its end', async () => {
      provider.slowStream(60);
      const gw = await startGateway([route('default/ai', [aiRule(null, shortRouteTimeout)]), model('chat')], {
        ai: { usageSink: usage, dataplaneKey: key },
      });
      gateways.push(gw);
      const text = 'one two three four five six seven eight';
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody(text, { stream: true }));
      const body = await res.text();
      expect(res.status).toBe(200);
      expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
      const [record] = await usage.waitFor(1);
      expect(record).toMatchObject({ statusCode: 200, aborted: false, errorCode: '' });
      expect(record!.latencyMs).toBeGreaterThan(200);
    });

    it("the AIModel's request timeout governs", async () => {
      const gw = await startGateway([route('default/ai', [aiRule()]), slowModel(200)], {
        ai: { usageSink: usage },
      });
      gateways.push(gw);
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('hi'));
      expect(res.status).toBe(504);
      const [record] = await usage.waitFor(1);
      expect(record!.errorCode).toBe('HUBPO_ERR_PROVIDER_TIMEOUT');
    });
  });
});
