import Anthropic from '@anthropic-ai/sdk';
import { MemoryUsageSink } from '@hubpo/gateway';
import { startMockProvider } from '@hubpo/testkit';
import type { MockProviderKind, MockProviderServer } from '@hubpo/testkit';
import OpenAI from 'openai';
import { ok } from '../support/admin-client.js';
import { eventually } from '../support/eventually.js';
import { Platform } from '../support/platform.js';
import { aiConsumer, aiModel, aiRoute, keyPolicy } from './ai-resources.js';

/**
 * The official `openai` and `@anthropic-ai/sdk` clients against a full platform (control plane,
 * Postgres, a gateway over gRPC) whose AIModels point at mock servers speaking each provider's
 * wire format. Only the clients' base URL changes. Usage records are compared with the servers'
 * own token counts.
 */
describe('AI journeys with the official SDKs', () => {
  const KEY = 'sk-hubpo-app-0123456789';
  const LIMITED_KEY = 'sk-hubpo-limited-0123456789';
  const usage = new MemoryUsageSink();
  const servers = new Map<MockProviderKind, MockProviderServer>();
  let platform: Platform;
  let gatewayUrl: string;
  let openai: OpenAI;
  let anthropic: Anthropic;

  const MODELS: Readonly<Record<string, MockProviderKind>> = {
    gpt: 'openai',
    claude: 'anthropic',
    gemini: 'gemini',
    nova: 'bedrock',
  };

  beforeAll(async () => {
    platform = await Platform.start();
    for (const kind of new Set(Object.values(MODELS))) servers.set(kind, await startMockProvider(kind));
    gatewayUrl = (await platform.startGateway('grpc', 'gw-ai', 'local', { usageSink: usage })).gateway.url;
    for (const [name, kind] of Object.entries(MODELS)) {
      ok(
        await platform.admin.create(
          aiModel(name, [
            {
              name: kind,
              provider: kind,
              endpoint: servers.get(kind)!.endpoint,
              ...(kind === 'bedrock' ? { region: 'us-east-1' } : {}),
              pricing: { inputPerMTok: 2.5, outputPerMTok: 10 },
            },
          ]),
        ),
      );
    }
    ok(await platform.admin.create(aiRoute('ai', '/')));
    ok(await platform.admin.create(keyPolicy('ai-keys', 'ai')));
    ok(await platform.admin.create(aiConsumer('app', KEY)));
    ok(await platform.admin.create(aiConsumer('limited', LIMITED_KEY, ['gpt'])));
    await eventually(
      async () => {
        const res = await fetch(`${gatewayUrl}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
        return res.status === 200 && ((await res.json()) as any).data.length === 4;
      },
      10_000,
      'the AI models to be served',
    );
    openai = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: KEY, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: gatewayUrl, apiKey: KEY, maxRetries: 0 });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    for (const server of servers.values()) await server.stop();
  });

  beforeEach(() => {
    usage.clear();
    for (const server of servers.values()) server.reset();
  });

  async function lastRecordMatches(model: string, stream: boolean): Promise<void> {
    const [rec] = await usage.waitFor(1);
    const kind = MODELS[model]!;
    const counted = servers.get(kind)!.usage.at(-1)!;
    expect(rec).toMatchObject({
      consumer: 'default/app',
      route: 'default/ai',
      model,
      provider: kind,
      target: kind,
      stream,
      inputTokens: counted.inputTokens,
      outputTokens: counted.outputTokens,
      statusCode: 200,
      costMicros: Math.round(counted.inputTokens * 2.5 + counted.outputTokens * 10),
    });
  }

  describe('openai client', () => {
    it.each(Object.keys(MODELS))('chat completion on %s', async (model) => {
      const completion = await openai.chat.completions.create({
        model,
        messages: [
          { role: 'system', content: 'You echo.' },
          { role: 'user', content: 'Hello from the OpenAI SDK' },
        ],
        max_tokens: 64,
      });
      expect(completion.model).toBe(model);
      expect(completion.choices[0]!.message.content).toBe('Hello from the OpenAI SDK');
      await lastRecordMatches(model, false);
      expect(completion.usage).toMatchObject({ prompt_tokens: usage.records[0]!.inputTokens });
    });

    it.each(Object.keys(MODELS))('streamed chat on %s, usage in the last chunk', async (model) => {
      const stream = await openai.chat.completions.create({
        model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'streaming through hubpo' }],
        max_tokens: 64,
      });
      let text = '';
      let completionTokens = -1;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
      }
      expect(text).toBe('streaming through hubpo');
      await lastRecordMatches(model, true);
      expect(completionTokens).toBe(usage.records[0]!.outputTokens);
    });

    it('tools and tool choice, then the tool result sent back', async () => {
      const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather of a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        },
      ];
      for (const model of ['gpt', 'claude']) {
        const first = await openai.chat.completions.create({
          model,
          messages: [{ role: 'user', content: 'Please call the tool for Paris' }],
          tools,
          tool_choice: 'auto',
        });
        const call = first.choices[0]!.message.tool_calls![0]!;
        expect(first.choices[0]!.finish_reason).toBe('tool_calls');
        expect(call.type === 'function' && call.function.name).toBe('get_weather');
        const second = await openai.chat.completions.create({
          model,
          messages: [
            { role: 'user', content: 'Please call the tool for Paris' },
            first.choices[0]!.message,
            { role: 'tool', tool_call_id: call.id, content: '{"temp":21}' },
            { role: 'user', content: 'thanks' },
          ],
          tools,
        });
        expect(second.choices[0]!.message.content).toBe('thanks');
      }
    });

    it('embeddings', async () => {
      const result = await openai.embeddings.create({ model: 'gpt', input: ['one', 'two'] });
      expect(result.data).toHaveLength(2);
      expect(result.data[0]!.embedding.length).toBeGreaterThan(0);
      const [rec] = await usage.waitFor(1);
      expect(rec).toMatchObject({ model: 'gpt', inputTokens: result.usage.prompt_tokens });
    });

    it('models list: what the caller may use', async () => {
      const all = await openai.models.list();
      expect(all.data.map((m) => m.id)).toEqual(['claude', 'gemini', 'gpt', 'nova']);
      const limited = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: LIMITED_KEY });
      expect((await limited.models.list()).data.map((m) => m.id)).toEqual(['gpt']);
      expect((await openai.models.retrieve('gemini')).id).toBe('gemini');
    });

    it('error handling: typed SDK errors from OpenAI-shaped bodies', async () => {
      await expect(
        openai.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
      ).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
      await expect(
        new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'wrong', maxRetries: 0 }).chat.completions.create({
          model: 'gpt',
          messages: [{ role: 'user', content: 'x' }],
        }),
      ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      await expect(
        new OpenAI({
          baseURL: `${gatewayUrl}/v1`,
          apiKey: LIMITED_KEY,
          maxRetries: 0,
        }).chat.completions.create({
          model: 'claude',
          messages: [{ role: 'user', content: 'x' }],
        }),
      ).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
      servers.get('openai')!.failNext(1, { status: 429, retryAfter: 3 });
      const error = await openai.chat.completions
        .create({ model: 'gpt', messages: [{ role: 'user', content: 'x' }] })
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('3');
      await expect(openai.chat.completions.create({ model: 'gpt', messages: [] })).rejects.toBeInstanceOf(
        OpenAI.BadRequestError,
      );
    });
  });

  describe('anthropic client', () => {
    it.each(Object.keys(MODELS))('message on %s', async (model) => {
      const message = await anthropic.messages.create({
        model,
        max_tokens: 64,
        system: 'You echo.',
        messages: [{ role: 'user', content: 'Hello from the Anthropic SDK' }],
      });
      expect(message.model).toBe(model);
      expect(message.content).toEqual([{ type: 'text', text: 'Hello from the Anthropic SDK' }]);
      await lastRecordMatches(model, false);
      const rec = usage.records[0]!;
      expect(message.usage.output_tokens).toBe(rec.outputTokens);
    });

    it.each(Object.keys(MODELS))('streamed message on %s', async (model) => {
      const stream = anthropic.messages.stream({
        model,
        max_tokens: 64,
        messages: [{ role: 'user', content: 'streaming the anthropic way' }],
      });
      let text = '';
      stream.on('text', (delta) => (text += delta));
      const final = await stream.finalMessage();
      expect(text).toBe('streaming the anthropic way');
      expect(final.stop_reason).toBe('end_turn');
      await lastRecordMatches(model, true);
      expect(final.usage.output_tokens).toBe(usage.records[0]!.outputTokens);
    });

    it('tools: tool_use blocks from any target, tool_result sent back', async () => {
      for (const model of ['claude', 'gpt', 'gemini', 'nova']) {
        const tools: Anthropic.Tool[] = [
          {
            name: 'get_weather',
            description: 'Current weather of a city',
            input_schema: { type: 'object', properties: { city: { type: 'string' } } },
          },
        ];
        const first = await anthropic.messages.create({
          model,
          max_tokens: 64,
          tools,
          messages: [{ role: 'user', content: 'Please use the tool' }],
        });
        expect(first.stop_reason).toBe('tool_use');
        const toolUse = first.content.find((b) => b.type === 'tool_use');
        expect(toolUse).toMatchObject({ type: 'tool_use', name: 'get_weather' });
        const second = await anthropic.messages.create({
          model,
          max_tokens: 64,
          tools,
          messages: [
            { role: 'user', content: 'Please use the tool' },
            { role: 'assistant', content: first.content },
            {
              role: 'user',
              content: [
                {
                  type: 'tool_result',
                  tool_use_id: (toolUse as Anthropic.ToolUseBlock).id,
                  content: 'sunny',
                },
                { type: 'text', text: 'merci' },
              ],
            },
          ],
        });
        expect(second.content).toEqual([{ type: 'text', text: 'merci' }]);
      }
    });

    it('count_tokens', async () => {
      const counted = await anthropic.messages.countTokens({
        model: 'claude',
        messages: [{ role: 'user', content: 'How many tokens is this?' }],
      });
      expect(counted.input_tokens).toBeGreaterThan(5);
    });

    it('error handling: typed SDK errors from Anthropic-shaped bodies', async () => {
      await expect(
        anthropic.messages.create({
          model: 'nope',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'x' }],
        }),
      ).rejects.toBeInstanceOf(Anthropic.NotFoundError);
      await expect(
        new Anthropic({ baseURL: gatewayUrl, apiKey: 'wrong', maxRetries: 0 }).messages.create({
          model: 'claude',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'x' }],
        }),
      ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
      // Overload is retried on the same target (retry.attempts defaults to 2): three in a row reach the client.
      servers.get('anthropic')!.failNext(3, { status: 529 });
      const overloaded = await anthropic.messages
        .create({ model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
        .catch((err: unknown) => err);
      expect(overloaded).toBeInstanceOf(Anthropic.InternalServerError);
      expect(overloaded).toMatchObject({
        status: 529,
        error: { type: 'error', error: { type: 'overloaded_error' } },
      });
      expect(servers.get('anthropic')!.calls).toHaveLength(3);
    });
  });
});
