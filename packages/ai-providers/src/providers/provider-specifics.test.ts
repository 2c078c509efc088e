import { adapters } from '../adapters.js';
import { StreamAccumulator } from '../accumulate-stream.js';
import type { ChatRequest } from '../internal/chat-request.js';
import { mistralToolCallId } from './mistral/mistral-adapter.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type J = Record<string, any>;
const ctx = (credentials: any) => ({ requestId: 'r', now: Date.UTC(2025, 0, 1), credentials });
const body = (b: string | Uint8Array): J =>
  JSON.parse(typeof b === 'string' ? b : new TextDecoder().decode(b));
const req = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'm',
  system: [],
  messages: [{ role: 'user', content: [{ kind: 'text', text: 'hi' }] }],
  tools: [],
  stream: false,
  streamOptions: { includeUsage: false },
  extensions: {},
  ...extra,
});

describe('azure-openai', () => {
  it('calls the deployment URL with the default api-version, Entra tokens as bearer', () => {
    const spec = adapters['azure-openai'].buildRequest(
      req(),
      { provider: 'azure-openai', model: 'my deploy', endpoint: 'https://x.openai.azure.com/' },
      ctx({ kind: 'bearer', token: 'aad' }),
    );
    expect(spec.url).toBe(
      'https://x.openai.azure.com/openai/deployments/my%20deploy/chat/completions?api-version=2024-10-21',
    );
    expect(spec.headers['authorization']).toBe('Bearer aad');
    expect(body(spec.body)['model']).toBeUndefined();
  });

  it('names the missing endpoint as a configuration error', () => {
    expect(() =>
      adapters['azure-openai'].buildRequest(
        req(),
        { provider: 'azure-openai', model: 'd' },
        ctx({ kind: 'none' }),
      ),
    ).toThrow(
      expect.objectContaining({
        kind: 'VALIDATION',
        issues: [{ path: '/target/endpoint', message: 'required' }],
      }),
    );
  });
});

describe('openai', () => {
  it('maps quota exhaustion to a non-retryable rate limit and context overflow to its own kind', () => {
    const dir = join(__dirname, 'openai/testdata');
    expect(adapters.openai.parseError(429, {}, readFileSync(join(dir, 'error.quota.json')))).toMatchObject({
      kind: 'PROVIDER_RATE_LIMITED',
      retryable: false,
    });
    expect(adapters.openai.parseError(400, {}, readFileSync(join(dir, 'error.context.json')))).toMatchObject({
      kind: 'CONTEXT_LENGTH_EXCEEDED',
      retryable: false,
    });
    expect(adapters.openai.parseError(429, { 'retry-after-ms': '250' }, '{}').details['retryAfterMs']).toBe(
      250,
    );
  });

  it('sends reasoning effort for thinking requests', () => {
    expect(
      body(
        adapters.openai.buildRequest(
          req({ thinking: { kind: 'enabled', budgetTokens: 30000 } }),
          { provider: 'openai', model: 'o3' },
          ctx({ kind: 'none' }),
        ).body,
      )['reasoning_effort'],
    ).toBe('high');
  });
});

describe('openai-compatible', () => {
  it('uses the configured auth header and scheme, and sends top_k', () => {
    const spec = adapters['openai-compatible'].buildRequest(
      req({ topK: 40 }),
      {
        provider: 'openai-compatible',
        model: 'llama3',
        endpoint: 'http://ollama:11434/v1',
        auth: { header: 'X-Api-Key', scheme: '' },
      },
      ctx({ kind: 'api-key', apiKey: 'k' }),
    );
    expect(spec.url).toBe('http://ollama:11434/v1/chat/completions');
    expect(spec.headers['x-api-key']).toBe('k');
    expect(body(spec.body)['top_k']).toBe(40);
  });
});

describe('mistral', () => {
  it('maps foreign tool call ids to 9 alphanumerics, the same way every time', () => {
    expect(mistralToolCallId('D681PevKs')).toBe('D681PevKs');
    expect(mistralToolCallId('toolu_01A09q90qw90lq917835lq9')).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(mistralToolCallId('toolu_01A09q90qw90lq917835lq9')).toBe(
      mistralToolCallId('toolu_01A09q90qw90lq917835lq9'),
    );
  });

  it('uses random_seed, tool_choice any, and no stream_options', () => {
    const tools: ChatRequest['tools'] = [{ kind: 'function', name: 'f', parameters: {} }];
    const b = body(
      adapters.mistral.buildRequest(
        req({ seed: 3, tools, toolChoice: { kind: 'required' }, stream: true }),
        { provider: 'mistral', model: 'mistral-large' },
        ctx({ kind: 'none' }),
      ).body,
    );
    expect(b).toMatchObject({ random_seed: 3, tool_choice: 'any', stream: true });
    expect(b['stream_options']).toBeUndefined();
  });
});

describe('anthropic', () => {
  it('keeps cache breakpoints, replays signed thinking only, and sizes max_tokens above the thinking budget', () => {
    const b = body(
      adapters.anthropic.buildRequest(
        req({
          system: [{ kind: 'text', text: 'long doc', cacheControl: { type: 'ephemeral', ttl: '1h' } }],
          thinking: { kind: 'enabled', budgetTokens: 8000 },
          messages: [
            { role: 'user', content: [{ kind: 'text', text: 'q' }] },
            {
              role: 'assistant',
              content: [
                { kind: 'thinking', text: 'signed', signature: 's1' },
                { kind: 'thinking', text: 'foreign' },
                { kind: 'text', text: 'a' },
              ],
            },
            { role: 'user', content: [{ kind: 'text', text: 'q2' }] },
          ],
        }),
        {
          provider: 'anthropic',
          model: 'claude',
          headers: { 'anthropic-beta': 'extended-cache-ttl-2025-04-11' },
        },
        ctx({ kind: 'api-key', apiKey: 'k' }),
      ).body,
    );
    expect(b['system']).toEqual([
      { type: 'text', text: 'long doc', cache_control: { type: 'ephemeral', ttl: '1h' } },
    ]);
    expect(b['thinking']).toEqual({ type: 'enabled', budget_tokens: 8000 });
    expect(b['max_tokens']).toBe(12096);
    expect(b['messages'][1].content).toEqual([
      { type: 'thinking', thinking: 'signed', signature: 's1' },
      { type: 'text', text: 'a' },
    ]);
  });

  it('decodes thinking with its signature from a stream', () => {
    const stream = readFileSync(join(__dirname, 'anthropic/testdata/thinking.stream.sse'));
    const decoder = adapters.anthropic.createStreamDecoder();
    const res = new StreamAccumulator().addAll([...decoder.push(stream), ...decoder.end()]).response();
    expect(res.choices[0]!.content).toEqual([
      {
        kind: 'thinking',
        text: 'The user greets me. I should greet back.',
        signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds',
      },
      { kind: 'text', text: 'Hi!' },
    ]);
    expect(res.usage).toMatchObject({ inputTokens: 40, outputTokens: 30 });
  });
});

describe('gemini', () => {
  it('uses Vertex AI URLs and bearer tokens when the target names a project', () => {
    const spec = adapters.gemini.buildRequest(
      req({ stream: true }),
      { provider: 'gemini', model: 'gemini-2.5-pro', project: 'acme', region: 'europe-west4' },
      ctx({ kind: 'bearer', token: 'ya29' }),
    );
    expect(spec.url).toBe(
      'https://europe-west4-aiplatform.googleapis.com/v1/projects/acme/locations/europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse',
    );
    expect(spec.headers['authorization']).toBe('Bearer ya29');
  });

  it('sends thinking budgets, JSON schema and the function signature back', () => {
    const b = body(
      adapters.gemini.buildRequest(
        req({
          thinking: { kind: 'enabled', effort: 'low' },
          responseFormat: { kind: 'json_schema', name: 'x', schema: { type: 'object' } },
          messages: [
            { role: 'user', content: [{ kind: 'text', text: 'q' }] },
            {
              role: 'assistant',
              content: [{ kind: 'tool_call', id: 'c', name: 'f', arguments: '{}', signature: 'sig' }],
            },
            {
              role: 'tool',
              content: [
                { kind: 'tool_result', toolCallId: 'c', content: [{ kind: 'text', text: '{"temp":18}' }] },
              ],
            },
          ],
        }),
        { provider: 'gemini', model: 'gemini-2.5-flash' },
        ctx({ kind: 'api-key', apiKey: 'k' }),
      ).body,
    );
    expect(b['generationConfig']).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: { type: 'object' },
      thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
    });
    expect(b['contents'][1].parts).toEqual([
      { functionCall: { name: 'f', args: {} }, thoughtSignature: 'sig' },
    ]);
    expect(b['contents'][2].parts).toEqual([{ functionResponse: { name: 'f', response: { temp: 18 } } }]);
  });
});

describe('bedrock', () => {
  it('marks cache breakpoints with cachePoint blocks and accepts Bedrock API keys', () => {
    const spec = adapters.bedrock.buildRequest(
      req({ system: [{ kind: 'text', text: 'doc', cacheControl: { type: 'ephemeral' } }], topK: 5 }),
      { provider: 'bedrock', model: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-west-2' },
      ctx({ kind: 'bearer', token: 'ABSK-key' }),
    );
    expect(spec.headers['authorization']).toBe('Bearer ABSK-key');
    expect(body(spec.body)).toMatchObject({
      system: [{ text: 'doc' }, { cachePoint: { type: 'default' } }],
      additionalModelRequestFields: { top_k: 5 },
    });
  });

  it('maps a too-long input to CONTEXT_LENGTH_EXCEEDED', () => {
    const err = adapters.bedrock.parseError(
      400,
      { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
      readFileSync(join(__dirname, 'bedrock/testdata/error.context.json')),
    );
    expect(err.kind).toBe('CONTEXT_LENGTH_EXCEEDED');
  });
});

describe('cohere', () => {
  it('forces a named tool by offering only that tool with REQUIRED', () => {
    const tools: ChatRequest['tools'] = [
      { kind: 'function', name: 'a', parameters: {} },
      { kind: 'function', name: 'b', parameters: {} },
    ];
    const b = body(
      adapters.cohere.buildRequest(
        req({ tools, toolChoice: { kind: 'tool', name: 'b' }, topP: 0.5, topK: 3 }),
        { provider: 'cohere', model: 'command-a' },
        ctx({ kind: 'api-key', apiKey: 'k' }),
      ).body,
    );
    expect(b['tools'].map((t: J) => t.function.name)).toEqual(['b']);
    expect(b).toMatchObject({ tool_choice: 'REQUIRED', p: 0.5, k: 3 });
  });
});
