import type { ErrorKind } from '@hubpo/core';
import type { EmbeddingsRequest } from '../internal/embeddings.js';
import type { Usage } from '../internal/usage.js';
import type {
  Credentials,
  HttpHeaders,
  HttpRequestSpec,
  ProviderId,
  TargetConfig,
} from '../provider-adapter.js';
import { mockWireResponse } from '../providers/mock/mock-adapter.js';
import { CTX, HELLO_TEXT, fixtureBytes, plainRequest, toolsRequest } from './fixtures.js';

/**
 * What one provider's wire says about a request, read back by a provider-specific reader, so the
 * same conformance assertions apply to every adapter's translation.
 */
export interface WireFacts {
  readonly system: string;
  readonly lastUser: string;
  readonly maxTokens: number | undefined;
  readonly temperature: number | undefined;
  readonly stop: readonly string[] | undefined;
  readonly tools: readonly string[];
  /** 'auto' | 'required' | 'none' | 'tool:<name>' | undefined */
  readonly toolChoice: string | undefined;
  /** The earlier assistant call, as the wire carries it. */
  readonly priorCall: { readonly name: string; readonly args: unknown } | undefined;
  /** The tool result text and what it answers (call id, or function name for Gemini). */
  readonly toolResult: { readonly answers: string; readonly text: string } | undefined;
  readonly json: 'object' | 'schema' | undefined;
  readonly stream: boolean;
  /** Whether usage was requested for the stream (OpenAI-family `stream_options.include_usage`). */
  readonly streamUsage: boolean;
}

interface ErrorCase {
  readonly status: number;
  readonly headers?: HttpHeaders;
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
}

export interface Harness {
  readonly id: ProviderId;
  readonly target: TargetConfig;
  readonly credentials: Credentials;
  /** Header that must carry the credential, and a fragment of its value. */
  readonly authHeader: readonly [string, string];
  readonly fixture: (name: string) => Uint8Array;
  readonly facts: (spec: HttpRequestSpec) => WireFacts;
  readonly expect: {
    readonly chatText: string;
    readonly chatUsage: Usage;
    /** Absent for the mock, whose tool usage is its own token count (checked in mock-adapter.test.ts). */
    readonly toolsUsage?: Usage;
    /** What `toolChoice: tool(get_weather)` becomes on this wire. */
    readonly forcedToolChoice: string;
    /** How the tool result is linked to its call on this wire. */
    readonly toolResultAnswers: string;
    readonly errors: {
      readonly auth: ErrorCase;
      readonly 'rate-limit': ErrorCase;
      readonly server: ErrorCase;
      readonly overloaded: ErrorCase;
    };
    readonly embeddings?: {
      readonly request: EmbeddingsRequest;
      readonly vectors: number;
      readonly usage: Usage;
    };
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test-side reader of arbitrary provider JSON
type J = Record<string, any>;

function json(spec: HttpRequestSpec): J {
  return JSON.parse(typeof spec.body === 'string' ? spec.body : new TextDecoder().decode(spec.body));
}

const u = (p: Partial<Usage>): Usage => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteInputTokens: 0,
  reasoningTokens: 0,
  outputTokens: 0,
  estimated: false,
  ...p,
});

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p: J) => p.text ?? '').join('');
}

function openAIFacts(spec: HttpRequestSpec): WireFacts {
  const b = json(spec);
  const messages: J[] = b.messages;
  const users = messages.filter((m) => m.role === 'user');
  const call = messages.find((m) => m.tool_calls)?.tool_calls[0];
  const result = messages.find((m) => m.role === 'tool');
  const choice = b.tool_choice;
  return {
    system: messages
      .filter((m) => m.role === 'system' || m.role === 'developer')
      .map((m) => text(m.content))
      .join('\n'),
    lastUser: text(users[users.length - 1]?.content),
    maxTokens: b.max_completion_tokens ?? b.max_tokens,
    temperature: b.temperature,
    stop: b.stop,
    tools: (b.tools ?? []).map((t: J) => t.function.name),
    toolChoice:
      typeof choice === 'string'
        ? choice === 'any'
          ? 'required'
          : choice
        : choice
          ? `tool:${choice.function.name}`
          : undefined,
    priorCall: call ? { name: call.function.name, args: JSON.parse(call.function.arguments) } : undefined,
    toolResult: result ? { answers: result.tool_call_id, text: text(result.content) } : undefined,
    json:
      b.response_format?.type === 'json_object'
        ? 'object'
        : b.response_format?.type === 'json_schema'
          ? 'schema'
          : undefined,
    stream: b.stream === true,
    streamUsage: b.stream_options?.include_usage === true,
  };
}

function anthropicFacts(spec: HttpRequestSpec): WireFacts {
  const b = json(spec);
  const blocks: J[] = b.messages.flatMap((m: J) => m.content.map((c: J) => ({ ...c, role: m.role })));
  const lastUser = [...b.messages].reverse().find((m: J) => m.role === 'user');
  const call = blocks.find((c) => c.type === 'tool_use');
  const result = blocks.find((c) => c.type === 'tool_result');
  const choice = b.tool_choice;
  return {
    system: (b.system ?? []).map((s: J) => s.text).join('\n'),
    lastUser: lastUser.content
      .filter((c: J) => c.type === 'text')
      .map((c: J) => c.text)
      .join(''),
    maxTokens: b.max_tokens,
    temperature: b.temperature,
    stop: b.stop_sequences,
    tools: (b.tools ?? []).map((t: J) => t.name),
    toolChoice:
      choice === undefined
        ? undefined
        : choice.type === 'any'
          ? 'required'
          : choice.type === 'tool'
            ? `tool:${choice.name}`
            : choice.type,
    priorCall: call ? { name: call.name, args: call.input } : undefined,
    toolResult: result ? { answers: result.tool_use_id, text: text(result.content) } : undefined,
    json: undefined,
    stream: b.stream === true,
    streamUsage: b.stream === true,
  };
}

function geminiFacts(spec: HttpRequestSpec): WireFacts {
  const b = json(spec);
  const parts: J[] = b.contents.flatMap((c: J) => c.parts);
  const lastUser = [...b.contents]
    .reverse()
    .find((c: J) => c.role === 'user' && c.parts.some((p: J) => p.text));
  const call = parts.find((p) => p.functionCall)?.functionCall;
  const result = parts.find((p) => p.functionResponse)?.functionResponse;
  const fc = b.toolConfig?.functionCallingConfig;
  const gc = b.generationConfig ?? {};
  return {
    system: (b.systemInstruction?.parts ?? []).map((p: J) => p.text).join('\n'),
    lastUser: lastUser.parts.map((p: J) => p.text ?? '').join(''),
    maxTokens: gc.maxOutputTokens,
    temperature: gc.temperature,
    stop: gc.stopSequences,
    tools: (b.tools ?? []).flatMap((t: J) => (t.functionDeclarations ?? []).map((d: J) => d.name)),
    toolChoice:
      fc === undefined
        ? undefined
        : fc.allowedFunctionNames
          ? `tool:${fc.allowedFunctionNames[0]}`
          : ({ AUTO: 'auto', ANY: 'required', NONE: 'none' } as J)[fc.mode],
    priorCall: call ? { name: call.name, args: call.args } : undefined,
    toolResult: result ? { answers: result.name, text: result.response.result } : undefined,
    json: gc.responseJsonSchema
      ? 'schema'
      : gc.responseMimeType === 'application/json'
        ? 'object'
        : undefined,
    stream: spec.url.includes(':streamGenerateContent'),
    streamUsage: spec.url.includes(':streamGenerateContent'),
  };
}

function bedrockFacts(spec: HttpRequestSpec): WireFacts {
  const b = json(spec);
  const blocks: J[] = b.messages.flatMap((m: J) => m.content);
  const lastUser = [...b.messages]
    .reverse()
    .find((m: J) => m.role === 'user' && m.content.some((c: J) => c.text));
  const call = blocks.find((c) => c.toolUse)?.toolUse;
  const result = blocks.find((c) => c.toolResult)?.toolResult;
  const choice = b.toolConfig?.toolChoice;
  return {
    system: (b.system ?? []).map((s: J) => s.text).join('\n'),
    lastUser: lastUser.content.map((c: J) => c.text ?? '').join(''),
    maxTokens: b.inferenceConfig?.maxTokens,
    temperature: b.inferenceConfig?.temperature,
    stop: b.inferenceConfig?.stopSequences,
    tools: (b.toolConfig?.tools ?? []).filter((t: J) => t.toolSpec).map((t: J) => t.toolSpec.name),
    toolChoice:
      choice === undefined
        ? undefined
        : choice.any
          ? 'required'
          : choice.tool
            ? `tool:${choice.tool.name}`
            : 'auto',
    priorCall: call ? { name: call.name, args: call.input } : undefined,
    toolResult: result ? { answers: result.toolUseId, text: text(result.content) } : undefined,
    json: undefined,
    stream: spec.url.endsWith('/converse-stream'),
    streamUsage: spec.url.endsWith('/converse-stream'),
  };
}

function cohereFacts(spec: HttpRequestSpec): WireFacts {
  const b = json(spec);
  const messages: J[] = b.messages;
  const users = messages.filter((m) => m.role === 'user');
  const call = messages.find((m) => m.tool_calls)?.tool_calls[0];
  const result = messages.find((m) => m.role === 'tool');
  return {
    system: messages
      .filter((m) => m.role === 'system')
      .map((m) => text(m.content))
      .join('\n'),
    lastUser: text(users[users.length - 1]?.content),
    maxTokens: b.max_tokens,
    temperature: b.temperature,
    stop: b.stop_sequences,
    tools: (b.tools ?? []).map((t: J) => t.function.name),
    toolChoice: b.tool_choice === undefined ? undefined : b.tool_choice.toLowerCase(),
    priorCall: call ? { name: call.function.name, args: JSON.parse(call.function.arguments) } : undefined,
    toolResult: result ? { answers: result.tool_call_id, text: text(result.content) } : undefined,
    json: b.response_format === undefined ? undefined : b.response_format.json_schema ? 'schema' : 'object',
    stream: b.stream === true,
    streamUsage: b.stream === true,
  };
}

const file = (id: ProviderId) => (name: string) => fixtureBytes(id, name);

const openAIErrors = {
  auth: { status: 401, kind: 'PROVIDER_AUTH', retryable: false },
  'rate-limit': {
    status: 429,
    headers: { 'retry-after': '2' },
    kind: 'PROVIDER_RATE_LIMITED',
    retryable: true,
    retryAfterMs: 2000,
  },
  server: { status: 500, kind: 'PROVIDER_ERROR', retryable: true },
  overloaded: { status: 503, kind: 'UNAVAILABLE', retryable: true },
} as const;

const twoTexts = (model: string): EmbeddingsRequest => ({
  model,
  input: ['hello', 'goodbye'],
  encodingFormat: 'float',
  extensions: {},
});

const OPENAI_CHAT = u({ inputTokens: 1117, cachedInputTokens: 1024, outputTokens: 9 });
const OPENAI_TOOLS = u({ inputTokens: 82, outputTokens: 17 });

/** Answers the mock gives, rendered on its (OpenAI-dialect) wire, standing in for recorded files. */
function mockFixture(name: string): Uint8Array {
  const ctx = { ...CTX, credentials: { kind: 'none' as const } };
  const errorStatus: Record<string, string> = {
    'error.auth': '401',
    'error.rate-limit': '429',
    'error.server': '500',
    'error.overloaded': '529',
  };
  const status = errorStatus[name];
  const stream = name.endsWith('.stream');
  const req =
    status !== undefined
      ? plainRequest({
          messages: [{ role: 'user', content: [{ kind: 'text', text: `mock:error:${status}` }] }],
        })
      : name.startsWith('tools')
        ? toolsRequest({ stream })
        : plainRequest({ stream });
  return new TextEncoder().encode(mockWireResponse(req, ctx).body);
}

export const HARNESSES: readonly Harness[] = [
  {
    id: 'openai',
    target: { provider: 'openai', model: 'gpt-4o' },
    credentials: { kind: 'api-key', apiKey: 'sk-test' },
    authHeader: ['authorization', 'Bearer sk-test'],
    fixture: file('openai'),
    facts: openAIFacts,
    expect: {
      chatText: HELLO_TEXT,
      chatUsage: OPENAI_CHAT,
      toolsUsage: OPENAI_TOOLS,
      forcedToolChoice: 'tool:get_weather',
      toolResultAnswers: 'call_prev1',
      errors: openAIErrors,
      embeddings: { request: twoTexts('text-embedding-3-small'), vectors: 2, usage: u({ inputTokens: 8 }) },
    },
  },
  {
    id: 'azure-openai',
    target: {
      provider: 'azure-openai',
      model: 'gpt4o-prod',
      endpoint: 'https://contoso.openai.azure.com',
      apiVersion: '2024-10-21',
    },
    credentials: { kind: 'api-key', apiKey: 'az-key' },
    authHeader: ['api-key', 'az-key'],
    fixture: file('azure-openai'),
    facts: openAIFacts,
    expect: {
      chatText: HELLO_TEXT,
      chatUsage: OPENAI_CHAT,
      toolsUsage: OPENAI_TOOLS,
      forcedToolChoice: 'tool:get_weather',
      toolResultAnswers: 'call_prev1',
      errors: {
        ...openAIErrors,
        'rate-limit': { ...openAIErrors['rate-limit'], headers: { 'retry-after': '6' }, retryAfterMs: 6000 },
      },
      embeddings: { request: twoTexts('text-embedding-3-small'), vectors: 2, usage: u({ inputTokens: 8 }) },
    },
  },
  {
    id: 'openai-compatible',
    target: {
      provider: 'openai-compatible',
      model: 'deepseek-chat',
      endpoint: 'https://api.deepseek.com/v1',
    },
    credentials: { kind: 'api-key', apiKey: 'ds-key' },
    authHeader: ['authorization', 'Bearer ds-key'],
    fixture: file('openai-compatible'),
    facts: openAIFacts,
    expect: {
      chatText: HELLO_TEXT,
      chatUsage: u({ inputTokens: 30, cachedInputTokens: 16, outputTokens: 12 }),
      toolsUsage: u({ inputTokens: 90, outputTokens: 20 }),
      forcedToolChoice: 'tool:get_weather',
      toolResultAnswers: 'call_prev1',
      errors: {
        ...openAIErrors,
        'rate-limit': { ...openAIErrors['rate-limit'], headers: { 'retry-after': '3' }, retryAfterMs: 3000 },
      },
      embeddings: { request: twoTexts('nomic-embed-text'), vectors: 2, usage: u({ inputTokens: 8 }) },
    },
  },
  {
    id: 'mistral',
    target: { provider: 'mistral', model: 'mistral-small-latest' },
    credentials: { kind: 'api-key', apiKey: 'mi-key' },
    authHeader: ['authorization', 'Bearer mi-key'],
    fixture: file('mistral'),
    facts: (spec) => ({ ...openAIFacts(spec), streamUsage: json(spec).stream === true }),
    expect: {
      chatText: HELLO_TEXT,
      chatUsage: u({ inputTokens: 16, outputTokens: 12 }),
      toolsUsage: u({ inputTokens: 75, outputTokens: 24 }),
      forcedToolChoice: 'tool:get_weather',
      // Mistral only accepts 9-alphanumeric ids: `call_prev1` is mapped (deterministically).
      toolResultAnswers: 'mistral-id',
      errors: openAIErrors,
      embeddings: { request: twoTexts('mistral-embed'), vectors: 2, usage: u({ inputTokens: 6 }) },
    },
  },
  {
    id: 'anthropic',
    target: { provider: 'anthropic', model: 'claude-sonnet-4-20250514' },
    credentials: { kind: 'api-key', apiKey: 'sk-ant' },
    authHeader: ['x-api-key', 'sk-ant'],
    fixture: file('anthropic'),
    facts: anthropicFacts,
    expect: {
      chatText: HELLO_TEXT,
      // input_tokens 21 + cache writes 188 + cache reads 1800
      chatUsage: u({
        inputTokens: 2009,
        cachedInputTokens: 1800,
        cacheWriteInputTokens: 188,
        outputTokens: 12,
      }),
      toolsUsage: u({ inputTokens: 384, outputTokens: 58 }),
      forcedToolChoice: 'tool:get_weather',
      toolResultAnswers: 'call_prev1',
      errors: {
        auth: { status: 401, kind: 'PROVIDER_AUTH', retryable: false },
        'rate-limit': {
          status: 429,
          headers: { 'retry-after': '15' },
          kind: 'PROVIDER_RATE_LIMITED',
          retryable: true,
          retryAfterMs: 15000,
        },
        server: { status: 500, kind: 'PROVIDER_ERROR', retryable: true },
        overloaded: { status: 529, kind: 'UNAVAILABLE', retryable: true },
      },
    },
  },
  {
    id: 'gemini',
    target: { provider: 'gemini', model: 'gemini-2.5-flash' },
    credentials: { kind: 'api-key', apiKey: 'AIza-test' },
    authHeader: ['x-goog-api-key', 'AIza-test'],
    fixture: file('gemini'),
    facts: geminiFacts,
    expect: {
      chatText: HELLO_TEXT,
      // thoughts (40) are output and reasoning; cached content is inside promptTokenCount
      chatUsage: u({ inputTokens: 1270, cachedInputTokens: 1024, reasoningTokens: 40, outputTokens: 50 }),
      toolsUsage: u({ inputTokens: 85, reasoningTokens: 50, outputTokens: 66 }),
      forcedToolChoice: 'tool:get_weather',
      toolResultAnswers: 'get_weather',
      errors: {
        // AI Studio answers a bad key with 400 + ErrorInfo API_KEY_INVALID
        auth: { status: 400, kind: 'PROVIDER_AUTH', retryable: false },
        'rate-limit': { status: 429, kind: 'PROVIDER_RATE_LIMITED', retryable: true, retryAfterMs: 37000 },
        server: { status: 500, kind: 'PROVIDER_ERROR', retryable: true },
        overloaded: { status: 503, kind: 'UNAVAILABLE', retryable: true },
      },
      // batchEmbedContents reports no usage: o200k count of 'hello' (1) + 'goodbye' (2), marked estimated
      embeddings: {
        request: twoTexts('text-embedding-004'),
        vectors: 2,
        usage: u({ inputTokens: 3, estimated: true }),
      },
    },
  },
  {
    id: 'bedrock',
    target: { provider: 'bedrock', model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', region: 'us-east-1' },
    credentials: {
      kind: 'aws',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    },
    authHeader: [
      'authorization',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request',
    ],
    fixture: file('bedrock'),
    facts: bedrockFacts,
    expect: {
      chatText: HELLO_TEXT,
      chatUsage: u({ inputTokens: 1554, cachedInputTokens: 1536, outputTokens: 14 }),
      toolsUsage: u({ inputTokens: 412, outputTokens: 53 }),
      forcedToolChoice: 'tool:get_weather',
      toolResultAnswers: 'call_prev1',
      errors: {
        auth: {
          status: 403,
          headers: {
            'x-amzn-errortype':
              'UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/',
          },
          kind: 'PROVIDER_AUTH',
          retryable: false,
        },
        'rate-limit': {
          status: 429,
          headers: {
            'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
          },
          kind: 'PROVIDER_RATE_LIMITED',
          retryable: true,
        },
        server: {
          status: 500,
          headers: {
            'x-amzn-errortype':
              'InternalServerException:http://internal.amazon.com/coral/com.amazon.bedrock/',
          },
          kind: 'PROVIDER_ERROR',
          retryable: true,
        },
        overloaded: {
          status: 503,
          headers: {
            'x-amzn-errortype':
              'ServiceUnavailableException:http://internal.amazon.com/coral/com.amazon.bedrock/',
          },
          kind: 'UNAVAILABLE',
          retryable: true,
        },
      },
      embeddings: {
        request: { model: 'titan', input: ['hello bedrock'], encodingFormat: 'float', extensions: {} },
        vectors: 1,
        usage: u({ inputTokens: 3 }),
      },
    },
  },
  {
    id: 'cohere',
    target: { provider: 'cohere', model: 'command-a-03-2025' },
    credentials: { kind: 'api-key', apiKey: 'co-key' },
    authHeader: ['authorization', 'Bearer co-key'],
    fixture: file('cohere'),
    facts: cohereFacts,
    expect: {
      chatText: HELLO_TEXT,
      // billed units, not raw tokens
      chatUsage: u({ inputTokens: 5, outputTokens: 10 }),
      toolsUsage: u({ inputTokens: 37, outputTokens: 19 }),
      // Cohere cannot name a tool: REQUIRED with only that tool offered
      forcedToolChoice: 'required',
      toolResultAnswers: 'call_prev1',
      errors: {
        auth: { status: 401, kind: 'PROVIDER_AUTH', retryable: false },
        'rate-limit': {
          status: 429,
          headers: { 'retry-after': '60' },
          kind: 'PROVIDER_RATE_LIMITED',
          retryable: true,
          retryAfterMs: 60000,
        },
        server: { status: 500, kind: 'PROVIDER_ERROR', retryable: true },
        overloaded: { status: 503, kind: 'UNAVAILABLE', retryable: true },
      },
      embeddings: { request: twoTexts('embed-v4.0'), vectors: 2, usage: u({ inputTokens: 2 }) },
    },
  },
  {
    id: 'mock',
    target: { provider: 'mock', model: 'mock-echo' },
    credentials: { kind: 'none' },
    authHeader: ['content-type', 'application/json'],
    fixture: mockFixture,
    facts: openAIFacts,
    expect: {
      // The mock echoes the last user message. Input: 3 priming + (3 + "You are terse." 4) + (3 + "Say hello" 2).
      chatText: 'Say hello',
      chatUsage: u({ inputTokens: 15, outputTokens: 2 }),
      forcedToolChoice: 'tool:get_weather',
      toolResultAnswers: 'call_prev1',
      errors: {
        auth: { status: 401, kind: 'PROVIDER_AUTH', retryable: false },
        'rate-limit': { status: 429, kind: 'PROVIDER_RATE_LIMITED', retryable: true },
        server: { status: 500, kind: 'PROVIDER_ERROR', retryable: true },
        overloaded: { status: 529, kind: 'UNAVAILABLE', retryable: true },
      },
    },
  },
];
