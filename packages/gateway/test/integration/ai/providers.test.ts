import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { estimateTokens } from '@hubpo/ai-providers';
import { startMockProvider } from '@hubpo/testkit';
import type { MockProviderKind, MockProviderServer } from '@hubpo/testkit';
import { MemoryUsageSink } from '../../../src/ai/index.js';
import { route } from '../../../src/runtime/testdata/config-factories.js';
import { startGateway, startUpstream } from '../runtime/runtime-harness.js';
import type { TestGateway } from '../runtime/runtime-harness.js';
import { aiModel, aiRule, aiTarget, openAIChunks, parseSse, postJson, seal } from './ai-fixtures.js';

/**
 * Either ingress reaches every provider: each AIModel `p-<kind>` has one target on a mock server
 * speaking that provider's published wire format (testkit), which checks the credential the
 * gateway unsealed and counts tokens itself. Usage records must match the server's own counts.
 */
const KINDS: readonly MockProviderKind[] = [
  'openai',
  'azure-openai',
  'anthropic',
  'gemini',
  'bedrock',
  'mistral',
  'cohere',
  'openai-compatible',
];

/** Upstreams that send stream usage only when asked (Mistral always sends it). */
const OPENAI_DIALECT: ReadonlySet<string> = new Set(['openai', 'azure-openai', 'openai-compatible']);

describe('AI ingress to every provider wire format', () => {
  const key = randomBytes(32);
  const usage = new MemoryUsageSink();
  const servers = new Map<MockProviderKind, MockProviderServer>();
  let gw: TestGateway;

  beforeAll(async () => {
    for (const kind of KINDS) {
      const apiKey = kind === 'bedrock' ? 'AKIDEXAMPLE' : `sk-${kind}`;
      servers.set(kind, await startMockProvider(kind, { apiKey }));
    }
    const models = KINDS.map((kind) => {
      const server = servers.get(kind)!;
      const secret =
        kind === 'bedrock'
          ? JSON.stringify({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' })
          : `sk-${kind}`;
      return aiModel(`p-${kind}`, [
        aiTarget(kind, kind, {
          model: 'mock-model',
          endpoint: server.endpoint,
          region: kind === 'bedrock' ? 'us-east-1' : null,
          credential: seal(secret, key),
        }),
      ]);
    });
    gw = await startGateway([route('default/ai', [aiRule()]), ...models], {
      ai: { usageSink: usage, dataplaneKey: key },
    });
  });
  afterAll(async () => {
    await gw.close();
    for (const server of servers.values()) await server.stop();
  });
  beforeEach(() => {
    usage.clear();
    for (const server of servers.values()) server.reset();
  });

  /** The usage record of the last request must be what the server counted. */
  async function expectRecordMatchesServer(kind: MockProviderKind, stream: boolean): Promise<void> {
    const [rec] = await usage.waitFor(1);
    const counted = servers.get(kind)!.usage.at(-1)!;
    expect(counted).toBeDefined();
    expect(rec).toMatchObject({
      model: `p-${kind}`,
      provider: kind,
      target: kind,
      stream,
      statusCode: 200,
      inputTokens: counted.inputTokens,
      outputTokens: counted.outputTokens,
      estimated: false,
    });
  }

  describe.each(KINDS)('%s target', (kind) => {
    const model = `p-${kind}`;

    it('OpenAI client, non-streaming', async () => {
      const res = await postJson(
        `${gw.url}/v1/chat/completions`,
        JSON.stringify({ model, messages: [{ role: 'user', content: 'echo this please' }], max_tokens: 50 }),
        { authorization: 'Bearer client-key-never-forwarded' },
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body.choices[0].message.content).toBe('echo this please');
      expect(res.headers.get('x-hubpo-provider')).toBe(kind);
      await expectRecordMatchesServer(kind, false);
      // The client's Authorization is the gateway key: it never reaches the provider.
      const call = servers.get(kind)!.calls.at(-1)!;
      expect(JSON.stringify(call.headers)).not.toContain('client-key-never-forwarded');
    });

    it('OpenAI client, streaming with usage', async () => {
      const res = await postJson(
        `${gw.url}/v1/chat/completions`,
        JSON.stringify({
          model,
          messages: [{ role: 'user', content: 'stream these words' }],
          max_tokens: 50,
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      expect(res.status).toBe(200);
      const chunks = openAIChunks(await res.text());
      expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('stream these words');
      await expectRecordMatchesServer(kind, true);
      expect(chunks.at(-1).usage.completion_tokens).toBe(usage.records[0]!.outputTokens);
      if (OPENAI_DIALECT.has(kind)) {
        // OpenAI-dialect upstreams are always asked for stream usage (ADR 0003).
        expect(servers.get(kind)!.calls.at(-1)!.body).toMatchObject({
          stream_options: { include_usage: true },
        });
      }
    });

    it('Anthropic client, non-streaming', async () => {
      const res = await postJson(
        `${gw.url}/v1/messages`,
        JSON.stringify({
          model,
          max_tokens: 50,
          system: 'be brief',
          messages: [{ role: 'user', content: 'hi from claude' }],
        }),
        { 'anthropic-version': '2023-06-01', 'x-api-key': 'client-key' },
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body.content[0]).toEqual({ type: 'text', text: 'hi from claude' });
      await expectRecordMatchesServer(kind, false);
    });

    it('Anthropic client, streaming', async () => {
      const res = await postJson(
        `${gw.url}/v1/messages`,
        JSON.stringify({
          model,
          max_tokens: 50,
          stream: true,
          messages: [{ role: 'user', content: 'streamed reply' }],
        }),
        { 'anthropic-version': '2023-06-01' },
      );
      const events = parseSse(await res.text());
      const text = events
        .filter((e) => e.event === 'content_block_delta')
        .map((e) => JSON.parse(e.data).delta.text)
        .join('');
      expect(text).toBe('streamed reply');
      expect(events.at(-1)!.event).toBe('message_stop');
      await expectRecordMatchesServer(kind, true);
    });

    it('tools round trip: the provider calls the tool, the client sees it in its own format', async () => {
      const res = await postJson(
        `${gw.url}/v1/chat/completions`,
        JSON.stringify({
          model,
          max_tokens: 50,
          messages: [{ role: 'user', content: 'please call the tool' }],
          tools: [
            {
              type: 'function',
              function: {
                name: 'get_weather',
                description: 'weather',
                parameters: { type: 'object', properties: { city: { type: 'string' } } },
              },
            },
          ],
        }),
      );
      const body = (await res.json()) as any;
      expect(body.choices[0].finish_reason).toBe('tool_calls');
      expect(body.choices[0].message.tool_calls[0].function.name).toBe('get_weather');
      await expectRecordMatchesServer(kind, false);
    });
  });

  it('Anthropic image and cache_control blocks reach an OpenAI target (breakpoints dropped with a warning)', async () => {
    const pixel = Buffer.from('tiny-png').toString('base64');
    const res = await postJson(
      `${gw.url}/v1/messages`,
      JSON.stringify({
        model: 'p-openai',
        max_tokens: 50,
        system: [{ type: 'text', text: 'long shared context', cache_control: { type: 'ephemeral' } }],
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: pixel } },
              { type: 'text', text: 'describe it' },
            ],
          },
        ],
      }),
      { 'anthropic-version': '2023-06-01' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-hubpo-warnings')).toBe('promptCaching');
    const sent = JSON.stringify(servers.get('openai')!.calls.at(-1)!.body);
    expect(sent).toContain(`data:image/png;base64,${pixel}`);
    expect(sent).not.toContain('cache_control');
  });

  it('Anthropic thinking blocks are replayed to an Anthropic target, signature included', async () => {
    const res = await postJson(
      `${gw.url}/v1/messages`,
      JSON.stringify({
        model: 'p-anthropic',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [
          { role: 'user', content: 'first' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'let me think', signature: 'sig-123' },
              { type: 'text', text: 'answer' },
            ],
          },
          { role: 'user', content: 'second' },
        ],
      }),
      { 'anthropic-version': '2023-06-01' },
    );
    expect(res.status).toBe(200);
    const sent = servers.get('anthropic')!.calls.at(-1)!.body as any;
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(sent.messages[1].content[0]).toEqual({
      type: 'thinking',
      thinking: 'let me think',
      signature: 'sig-123',
    });
  });

  it('a provider that reports no usage: tokens counted with the tokenizer and marked estimated', async () => {
    const silent = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunk = (delta: object, finish: string | null = null): string =>
          `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.end(
          chunk({ role: 'assistant', content: 'no usage here' }) + chunk({}, 'stop') + 'data: [DONE]\n\n',
        );
      });
    });
    const other = await startGateway(
      [
        route('default/ai', [aiRule()]),
        aiModel('quiet', [aiTarget('vllm', 'openai-compatible', { endpoint: silent.url })]),
      ],
      { ai: { usageSink: usage } },
    );
    try {
      const res = await postJson(
        `${other.url}/v1/chat/completions`,
        JSON.stringify({ model: 'quiet', stream: true, messages: [{ role: 'user', content: 'count me' }] }),
      );
      await res.text();
      const [rec] = await usage.waitFor(1);
      expect(rec).toMatchObject({ estimated: true, target: 'vllm' });
      expect(rec!.inputTokens).toBeGreaterThan(0);
      expect(rec!.outputTokens).toBe(estimateTokens('no usage here'));
    } finally {
      await other.close();
      await silent.close();
    }
  });

  it('a credential that does not open leaves its target out; the model fails over to the next', async () => {
    const warnings: string[] = [];
    const other = await startGateway(
      [
        route('default/ai', [aiRule()]),
        aiModel('guarded', [
          aiTarget('bad-key', 'openai', {
            endpoint: servers.get('openai')!.endpoint,
            credential: seal('sk-openai', randomBytes(32)),
          }),
          aiTarget('good', 'openai', {
            model: 'mock-model',
            endpoint: servers.get('openai')!.endpoint,
            credential: seal('sk-openai', key),
            priority: 1,
          }),
        ]),
      ],
      {
        ai: {
          dataplaneKey: key,
          warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
        },
      },
    );
    try {
      const res = await postJson(
        `${other.url}/v1/chat/completions`,
        JSON.stringify({ model: 'guarded', messages: [{ role: 'user', content: 'x' }] }),
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('x-hubpo-target')).toBe('good');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('bad-key');
      expect(warnings[0]).not.toContain('sk-openai');
    } finally {
      await other.close();
    }
  });
});
