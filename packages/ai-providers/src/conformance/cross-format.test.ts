import { adapters } from '../adapters.js';
import { AnthropicStreamRenderer } from '../ingress/anthropic/anthropic-stream-renderer.js';
import { parseAnthropicRequest } from '../ingress/anthropic/parse-anthropic-request.js';
import { renderAnthropicMessage } from '../ingress/anthropic/render-anthropic-response.js';
import { OpenAIStreamRenderer } from '../ingress/openai/openai-stream-renderer.js';
import { parseOpenAIChatRequest } from '../ingress/openai/parse-openai-chat-request.js';
import { renderOpenAIChatCompletion } from '../ingress/openai/render-openai-response.js';
import type { TargetConfig } from '../provider-adapter.js';
import { SseParser } from '../shared/sse-parser.js';
import { CTX, HELLO_TEXT, decodeAll, fixtureBytes, randomChunks } from './fixtures.js';

/**
 * Any ingress reaches any target through the internal form: a client request in one API is
 * translated to another provider's wire, and that provider's answer (whole or streamed) is
 * rendered back in the client's API.
 */
type J = Record<string, any>;

const body = (b: string | Uint8Array): J =>
  JSON.parse(typeof b === 'string' ? b : new TextDecoder().decode(b));

function sseEvents(text: string): { event: string; data: string }[] {
  return new SseParser().push(new TextEncoder().encode(text));
}

const ctxFor = (credentials: any) => ({ ...CTX, credentials });

function anthropicClientBody(stream: boolean): J {
  return {
    model: 'claude-alias',
    max_tokens: 256,
    system: [{ type: 'text', text: 'You answer weather questions.', cache_control: { type: 'ephemeral' } }],
    metadata: { user_id: 'user-42' },
    stop_sequences: ['END'],
    stream,
    tools: [
      {
        name: 'get_weather',
        description: 'Current weather',
        input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ],
    tool_choice: { type: 'any' },
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_01', content: '18C and sunny' },
          { type: 'text', text: 'Thanks! Say hello.' },
        ],
      },
    ],
  };
}

function openAIClientBody(stream: boolean, includeUsage = false): J {
  return {
    model: 'gpt-alias',
    max_tokens: 256,
    stream,
    ...(stream ? { stream_options: { include_usage: includeUsage } } : {}),
    user: 'user-42',
    tools: [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ],
    tool_choice: 'required',
    messages: [
      { role: 'system', content: 'You answer weather questions.' },
      { role: 'developer', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather in Paris?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C and sunny' },
      { role: 'user', content: 'Thanks! Say hello.' },
    ],
  };
}

describe('Anthropic ingress -> OpenAI target', () => {
  const target: TargetConfig = { provider: 'openai', model: 'gpt-4o' };
  const ctx = ctxFor({ kind: 'api-key', apiKey: 'sk-test' });

  it('translates the Messages request into Chat Completions', () => {
    const req = parseAnthropicRequest(anthropicClientBody(false));
    const b = body(adapters.openai.buildRequest(req, target, ctx).body);
    expect(b['model']).toBe('gpt-4o');
    expect(b['messages']).toEqual([
      { role: 'system', content: 'You answer weather questions.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'toolu_01',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_01', content: '18C and sunny' },
      { role: 'user', content: 'Thanks! Say hello.' },
    ]);
    expect(b['tool_choice']).toBe('required');
    expect(b['max_completion_tokens']).toBe(256);
    expect(b['stop']).toEqual(['END']);
    expect(b['user']).toBe('user-42');
  });

  it('renders the OpenAI tool-call answer as an Anthropic message', () => {
    const res = adapters.openai.parseResponse(200, {}, fixtureBytes('openai', 'tools.response'));
    const msg = renderAnthropicMessage(res, { model: 'claude-alias' });
    expect(msg).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-alias',
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', id: 'call_abc123', name: 'get_weather', input: { city: 'Paris' } }],
      usage: {
        input_tokens: 82,
        output_tokens: 17,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    });
  });

  it('renders the OpenAI stream as Anthropic SSE, usage split back into uncached and cached input', () => {
    const events = decodeAll(
      adapters.openai.createStreamDecoder(),
      randomChunks(fixtureBytes('openai', 'chat.stream'), 5),
    );
    const sse = sseEvents(new AnthropicStreamRenderer({ model: 'claude-alias' }).renderAll(events));
    expect(sse.map((e) => e.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const text = sse
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => JSON.parse(e.data).delta.text)
      .join('');
    expect(text).toBe(HELLO_TEXT);
    const delta = JSON.parse(sse.find((e) => e.event === 'message_delta')!.data);
    expect(delta).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: {
        input_tokens: 93,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 1024,
        output_tokens: 9,
      },
    });
    expect(JSON.parse(sse[0]!.data).message).toMatchObject({
      model: 'claude-alias',
      role: 'assistant',
      content: [],
    });
  });

  it('renders a streamed OpenAI tool call as tool_use with input_json_delta', () => {
    const events = decodeAll(adapters.openai.createStreamDecoder(), [fixtureBytes('openai', 'tools.stream')]);
    const sse = sseEvents(new AnthropicStreamRenderer().renderAll(events));
    const start = JSON.parse(sse.find((e) => e.event === 'content_block_start')!.data);
    expect(start).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: 'call_abc123', name: 'get_weather', input: {} },
    });
    const json = sse.filter((e) => e.event === 'content_block_delta').map((e) => JSON.parse(e.data).delta);
    expect(json.every((d) => d.type === 'input_json_delta')).toBe(true);
    expect(JSON.parse(json.map((d) => d.partial_json).join(''))).toEqual({ city: 'Paris' });
    expect(JSON.parse(sse.find((e) => e.event === 'message_delta')!.data).delta.stop_reason).toBe('tool_use');
  });
});

describe('OpenAI ingress -> Anthropic target', () => {
  const target: TargetConfig = { provider: 'anthropic', model: 'claude-sonnet-4-20250514' };
  const ctx = ctxFor({ kind: 'api-key', apiKey: 'sk-ant' });

  it('hoists system and developer messages, carries images, tool results and the forced choice', () => {
    const req = parseOpenAIChatRequest(openAIClientBody(false));
    const spec = adapters.anthropic.buildRequest(req, target, ctx);
    expect(spec.url).toBe('https://api.anthropic.com/v1/messages');
    expect(spec.headers['anthropic-version']).toBe('2023-06-01');
    const b = body(spec.body);
    expect(b['system']).toEqual([
      { type: 'text', text: 'You answer weather questions.' },
      { type: 'text', text: 'Be brief.' },
    ]);
    expect(b['messages']).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather in Paris?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        ],
      },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: '18C and sunny' }] },
          { type: 'text', text: 'Thanks! Say hello.' },
        ],
      },
    ]);
    expect(b['tool_choice']).toEqual({ type: 'any' });
    expect(b['tools']).toEqual([
      { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    ]);
    expect(b['max_tokens']).toBe(256);
    expect(b['metadata']).toEqual({ user_id: 'user-42' });
  });

  it('renders the Anthropic answer as a chat.completion with cache reads inside prompt_tokens', () => {
    const res = adapters.anthropic.parseResponse(200, {}, fixtureBytes('anthropic', 'chat.response'));
    const out = renderOpenAIChatCompletion(res, { model: 'gpt-alias' });
    expect(out).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-alias',
      choices: [{ index: 0, message: { role: 'assistant', content: HELLO_TEXT }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 2009,
        completion_tokens: 12,
        total_tokens: 2021,
        prompt_tokens_details: { cached_tokens: 1800 },
      },
    });
  });

  it.each([false, true])(
    'renders the Anthropic stream as chat.completion.chunk SSE (include_usage=%s)',
    (includeUsage) => {
      const events = decodeAll(
        adapters.anthropic.createStreamDecoder(),
        randomChunks(fixtureBytes('anthropic', 'chat.stream'), 11),
      );
      const text = new OpenAIStreamRenderer({ includeUsage, model: 'gpt-alias' }).renderAll(events);
      const data = sseEvents(text).map((e) => e.data);
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
      const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
      expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-alias')).toBe(true);
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(HELLO_TEXT);
      const finish = chunks.find((c) => c.choices[0]?.finish_reason);
      expect(finish.choices[0].finish_reason).toBe('stop');
      const usageChunks = chunks.filter((c) => c.usage);
      if (includeUsage) {
        expect(usageChunks).toHaveLength(1);
        expect(usageChunks[0].choices).toEqual([]);
        expect(usageChunks[0].usage).toMatchObject({
          prompt_tokens: 2009,
          completion_tokens: 12,
          prompt_tokens_details: { cached_tokens: 1800 },
        });
        expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
      } else {
        expect(usageChunks).toEqual([]);
        expect(chunks.every((c) => !('usage' in c))).toBe(true);
      }
    },
  );

  it('renders an Anthropic mid-stream overload as an OpenAI error chunk and stops', () => {
    const events = decodeAll(adapters.anthropic.createStreamDecoder(), [
      fixtureBytes('anthropic', 'error.stream'),
    ]);
    const err = events[events.length - 1];
    expect(err).toMatchObject({ kind: 'error', error: { kind: 'UNAVAILABLE', retryable: true } });
    const text = new OpenAIStreamRenderer({ includeUsage: false }).renderAll(events);
    const last = sseEvents(text).pop()!;
    expect(JSON.parse(last.data)).toEqual({
      error: { message: 'Overloaded', type: 'server_error', param: null, code: 'HUBPO_ERR_UNAVAILABLE' },
    });
    expect(text).not.toContain('[DONE]');
  });
});

describe('OpenAI ingress -> Gemini target', () => {
  const target: TargetConfig = { provider: 'gemini', model: 'gemini-2.5-flash' };
  const ctx = ctxFor({ kind: 'api-key', apiKey: 'AIza-test' });

  it('translates roles, system instruction, inline image, function call and named function response', () => {
    const req = parseOpenAIChatRequest(openAIClientBody(true));
    const spec = adapters.gemini.buildRequest(req, target, ctx);
    expect(spec.url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    );
    const b = body(spec.body);
    expect(b['systemInstruction']).toEqual({
      parts: [{ text: 'You answer weather questions.' }, { text: 'Be brief.' }],
    });
    expect(b['contents']).toEqual([
      {
        role: 'user',
        parts: [
          { text: 'Weather in Paris?' },
          { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
        ],
      },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { result: '18C and sunny' } } },
          { text: 'Thanks! Say hello.' },
        ],
      },
    ]);
    expect(b['toolConfig']).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(b['generationConfig']).toEqual({ maxOutputTokens: 256 });
  });

  it('renders the Gemini function call as OpenAI tool_calls with a stable id', () => {
    const res = adapters.gemini.parseResponse(200, {}, fixtureBytes('gemini', 'tools.response'), {
      requestId: 'req-1',
    });
    const out = renderOpenAIChatCompletion(res);
    expect(out).toMatchObject({
      choices: [
        {
          message: {
            content: null,
            tool_calls: [
              {
                id: 'call_nJ4XaKCdLNmTmecPq4KZ6Ac_0_0',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 85,
        completion_tokens: 66,
        completion_tokens_details: { reasoning_tokens: 50 },
      },
    });
  });

  it('renders the Gemini stream as OpenAI chunks with the final usage chunk', () => {
    const events = decodeAll(
      adapters.gemini.createStreamDecoder(),
      randomChunks(fixtureBytes('gemini', 'chat.stream'), 3),
    );
    const chunks = sseEvents(new OpenAIStreamRenderer({ includeUsage: true }).renderAll(events))
      .map((e) => e.data)
      .filter((d) => d !== '[DONE]')
      .map((d) => JSON.parse(d));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(HELLO_TEXT);
    expect(chunks[chunks.length - 1].usage).toMatchObject({
      prompt_tokens: 1270,
      completion_tokens: 50,
      prompt_tokens_details: { cached_tokens: 1024 },
    });
  });
});

describe('OpenAI ingress -> Bedrock target', () => {
  const target: TargetConfig = {
    provider: 'bedrock',
    model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
    region: 'eu-west-1',
  };
  const ctx = ctxFor({
    kind: 'aws',
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'secret',
    sessionToken: 'session',
  });

  it('translates to a SigV4-signed Converse request', () => {
    const req = parseOpenAIChatRequest(openAIClientBody(false));
    const spec = adapters.bedrock.buildRequest(req, target, ctx);
    expect(spec.url).toBe(
      'https://bedrock-runtime.eu-west-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
    );
    expect(spec.headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20250115\/eu-west-1\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(spec.headers['x-amz-date']).toBe('20250115T103000Z');
    expect(spec.headers['x-amz-security-token']).toBe('session');
    const b = body(spec.body);
    expect(b['system']).toEqual([{ text: 'You answer weather questions.' }, { text: 'Be brief.' }]);
    expect(b['messages']).toEqual([
      {
        role: 'user',
        content: [
          { text: 'Weather in Paris?' },
          { image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } },
        ],
      },
      {
        role: 'assistant',
        content: [{ toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } }],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'call_1', content: [{ text: '18C and sunny' }] } },
          { text: 'Thanks! Say hello.' },
        ],
      },
    ]);
    expect(b['toolConfig']['toolChoice']).toEqual({ any: {} });
    expect(b['inferenceConfig']).toEqual({ maxTokens: 256 });
  });

  it('renders the Converse answer and the ConverseStream frames in OpenAI format', () => {
    const res = adapters.bedrock.parseResponse(
      200,
      { 'x-amzn-requestid': 'abc-123' },
      fixtureBytes('bedrock', 'chat.response'),
    );
    expect(renderOpenAIChatCompletion(res)).toMatchObject({
      id: 'abc-123',
      choices: [{ message: { content: HELLO_TEXT }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1554, completion_tokens: 14, prompt_tokens_details: { cached_tokens: 1536 } },
    });
    const events = decodeAll(
      adapters.bedrock.createStreamDecoder(),
      randomChunks(fixtureBytes('bedrock', 'chat.stream'), 9, 40),
    );
    const text = new OpenAIStreamRenderer({ includeUsage: true }).renderAll(events);
    const chunks = sseEvents(text)
      .map((e) => e.data)
      .filter((d) => d !== '[DONE]')
      .map((d) => JSON.parse(d));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(HELLO_TEXT);
    expect(chunks[chunks.length - 1].usage.prompt_tokens).toBe(1554);
  });

  it('surfaces a ConverseStream exception frame as a retryable rate-limit error', () => {
    const events = decodeAll(
      adapters.bedrock.createStreamDecoder(),
      randomChunks(fixtureBytes('bedrock', 'error.stream'), 4),
    );
    expect(events[events.length - 1]).toMatchObject({
      kind: 'error',
      error: { kind: 'PROVIDER_RATE_LIMITED', retryable: true },
    });
  });
});
