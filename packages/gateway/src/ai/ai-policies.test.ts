import type { ChatRequest, Credentials } from '@hubpo/ai-providers';
import type { PolicyConfig } from '@hubpo/snapshot';
import { AIPolicies } from './ai-policies.js';
import type { AITarget } from './ai-target.js';
import { scrubKey } from './ai-request-policy.js';
import { MemoryAILogSink } from './memory-ai-log-sink.js';

function policy(id: string, overrides: Partial<PolicyConfig>): PolicyConfig {
  return {
    kind: 'policy',
    id,
    generation: 1,
    targets: [{ kind: 'aimodel', id: 'ai/chat' }],
    authentication: null,
    rateLimit: null,
    ...overrides,
  };
}

function target(
  provider: string,
  credentials: Credentials = { kind: 'api-key', apiKey: 'stored' },
): AITarget {
  return { name: provider, provider, credentials, adapter: { id: provider } } as unknown as AITarget;
}

const FACTS = { requestId: 'r1', routeId: 'ai/llm', consumerId: null };
const CHAT: ChatRequest = {
  model: 'chat',
  system: [{ kind: 'text', text: 'You help ana@example.com' }],
  messages: [{ role: 'user', content: [{ kind: 'text', text: 'my card is 4111111111111111' }] }],
  tools: [],
  stream: false,
  streamOptions: { includeUsage: false },
  extensions: {},
};

function compile(policies: PolicyConfig[], sink = new MemoryAILogSink()): AIPolicies | null {
  return AIPolicies.compile(policies, sink, (path, message) => {
    throw new Error(`${path}: ${message}`);
  });
}

describe('AIPolicies: credentials', () => {
  const passThrough = policy('ai/byok', {
    aiCredentials: { passThrough: true, header: 'x-hubpo-provider-key', providers: null },
  });

  it('is null (nothing per request) when no policy has AI parts', () => {
    expect(compile([policy('ai/limit', { rateLimit: null })])).toBeNull();
  });

  it('uses the caller key only when a policy allows it and the caller sent one', () => {
    const policies = compile([passThrough])!;
    const withKey = policies.forRequest(FACTS, 'ai/chat', { 'x-hubpo-provider-key': ' sk-client ' })!;
    expect(withKey.credentials(target('openai'))).toEqual({ kind: 'api-key', apiKey: 'sk-client' });
    expect(withKey.credentials(target('vertex-ai'))).toEqual({ kind: 'bearer', token: 'sk-client' });
    const withoutKey = policies.forRequest(FACTS, 'ai/chat', {})!;
    expect(withoutKey.credentials(target('openai'))).toEqual({ kind: 'api-key', apiKey: 'stored' });
    const otherModel = policies.forRequest(FACTS, 'ai/other', { 'x-hubpo-provider-key': 'sk-client' });
    expect(otherModel).toBeNull();
  });

  it('keeps stored credentials for providers the policy does not name and for AWS targets', () => {
    const policies = compile([
      policy('ai/byok', { aiCredentials: { passThrough: true, header: 'x-key', providers: ['openai'] } }),
    ])!;
    const req = policies.forRequest(FACTS, 'ai/chat', { 'x-key': 'sk-client' })!;
    expect(req.credentials(target('openai'))).toEqual({ kind: 'api-key', apiKey: 'sk-client' });
    expect(req.credentials(target('anthropic'))).toEqual({ kind: 'api-key', apiKey: 'stored' });
    const all = compile([passThrough])!.forRequest(FACTS, 'ai/chat', { 'x-hubpo-provider-key': 'k' })!;
    const aws: Credentials = { kind: 'aws', accessKeyId: 'AKIA', secretAccessKey: 's' };
    expect(all.credentials(target('bedrock', aws))).toBe(aws);
  });

  it('ignores an over-long or repeated key header', () => {
    const policies = compile([passThrough])!;
    const long = policies.forRequest(FACTS, 'ai/chat', { 'x-hubpo-provider-key': 'k'.repeat(5000) })!;
    expect(long.credentials(target('openai'))).toEqual({ kind: 'api-key', apiKey: 'stored' });
    expect(long.hasClientKey).toBe(false);
  });

  it('applies policies attached to the route or the consumer as well', () => {
    const policies = compile([{ ...passThrough, targets: [{ kind: 'consumer', id: 'team/a' }] }])!;
    expect(policies.forRequest(FACTS, 'ai/chat', {})).toBeNull();
    const req = policies.forRequest({ ...FACTS, consumerId: 'team/a' }, 'ai/chat', {
      'x-hubpo-provider-key': 'sk-client',
    })!;
    expect(req.credentials(target('openai'))).toEqual({ kind: 'api-key', apiKey: 'sk-client' });
  });
});

describe('AIPolicies: logging', () => {
  const logging = (over: Partial<NonNullable<PolicyConfig['aiLogging']>> = {}) => ({
    prompts: true,
    completions: true,
    redact: ['email', 'creditCard'] as const,
    patterns: [],
    maxChars: 4096,
    ...over,
  });

  it('writes one redacted line with prompt and completion, never the pass-through key', () => {
    const sink = new MemoryAILogSink();
    const policies = compile(
      [
        policy('ai/log', { aiLogging: { ...logging(), redact: ['email', 'creditCard'] } }),
        policy('ai/byok', { aiCredentials: { passThrough: true, header: 'x-k', providers: null } }),
      ],
      sink,
    )!;
    const req = policies.forRequest(FACTS, 'ai/chat', { 'x-k': 'sk-very-secret-client-key' })!;
    req.request = CHAT;
    req.response = {
      id: 'x',
      model: 'm',
      created: 0,
      choices: [
        {
          index: 0,
          content: [{ kind: 'text', text: 'write to bo@example.org' }],
          finish: { reason: 'stop', raw: 'stop' },
        },
      ],
      usage: {
        inputTokens: 1,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
        outputTokens: 1,
        estimated: false,
      },
    } as never;
    req.finish({ model: 'chat', target: target('openai'), status: 200, stream: false });
    expect(sink.lines).toEqual([
      {
        requestId: 'r1',
        route: 'ai/llm',
        model: 'chat',
        target: 'openai',
        provider: 'openai',
        consumer: null,
        status: 200,
        stream: false,
        policies: ['ai/log'],
        prompt: [
          { role: 'system', text: 'You help [REDACTED:email]' },
          { role: 'user', text: 'my card is [REDACTED:creditCard]' },
        ],
        completion: 'write to [REDACTED:email]',
        truncated: false,
      },
    ]);
    expect(JSON.stringify(sink.lines)).not.toContain('sk-very-secret-client-key');
  });

  it('merges policies: either text when any asks, every redaction, the smallest budget', () => {
    const sink = new MemoryAILogSink();
    const policies = compile(
      [
        policy('ai/a', { aiLogging: logging({ completions: false, redact: [], maxChars: 12 }) }),
        {
          ...policy('ai/b', { aiLogging: logging({ prompts: false, redact: ['email'] }) }),
          targets: [{ kind: 'route', id: 'ai/llm' }],
        },
      ],
      sink,
    )!;
    const req = policies.forRequest(FACTS, 'ai/chat', {})!;
    req.request = CHAT;
    req.finish({ model: 'chat', target: null, status: 502, stream: true });
    const [line] = sink.lines;
    expect(line).toMatchObject({ policies: ['ai/a', 'ai/b'], status: 502, target: null, truncated: true });
    // 12 characters in all: the system text is cut after redaction, the user message is left out.
    expect(line!.prompt).toEqual([{ role: 'system', text: 'You help [RE' }]);
    expect(line!.completion).toBeUndefined();
  });

  it('logs nothing for a request that is not a chat (no prompt captured)', () => {
    const sink = new MemoryAILogSink();
    const policies = compile([policy('ai/log', { aiLogging: logging() })], sink)!;
    policies
      .forRequest(FACTS, 'ai/chat', {})!
      .finish({ model: 'chat', target: null, status: 200, stream: false });
    expect(sink.lines).toEqual([]);
  });

  it('reports an invalid pattern or header as a snapshot issue', () => {
    const issues: string[] = [];
    AIPolicies.compile(
      [
        policy('ai/bad', { aiLogging: logging({ patterns: [{ name: 'p', regex: '(' }] }) }),
        policy('ai/hdr', { aiCredentials: { passThrough: true, header: 'Bad Header', providers: null } }),
      ],
      new MemoryAILogSink(),
      (path) => issues.push(path),
    );
    expect(issues).toEqual(['/policy/ai/bad/aiLogging/patterns', '/policy/ai/hdr/aiCredentials/header']);
  });
});

describe('scrubKey', () => {
  it('removes the key and masked quotes of it from provider messages', () => {
    const key = 'sk-client-own-key-0002';
    expect(scrubKey(`Incorrect API key provided: ${key}.`, key)).toBe(
      'Incorrect API key provided: [REDACTED].',
    );
    expect(scrubKey('Incorrect API key provided: sk-clien**********0002. See docs', key)).toBe(
      'Incorrect API key provided: [REDACTED] See docs',
    );
    expect(scrubKey('nothing to see', key)).toBe('nothing to see');
  });
});
