import { HubpoError } from '@hubpo/core';
import { adapters } from './adapters.js';
import { checkCapabilities } from './check-capabilities.js';
import type { ChatRequest } from './internal/chat-request.js';

const base: ChatRequest = {
  model: 'm',
  system: [{ kind: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }],
  messages: [
    {
      role: 'user',
      content: [
        { kind: 'text', text: 'look' },
        { kind: 'image', source: { kind: 'url', url: 'https://x/cat.png' } },
      ],
    },
  ],
  tools: [],
  n: 3,
  seed: 1,
  logprobs: true,
  responseFormat: { kind: 'json_schema', name: 's', schema: {} },
  stop: ['a', 'b', 'c', 'd', 'e'],
  stream: false,
  streamOptions: { includeUsage: false },
  extensions: {},
};

describe('checkCapabilities', () => {
  it('passes a request the target fully supports through untouched', () => {
    const req: ChatRequest = { ...base, system: [], n: 1, stop: ['a'] };
    const out = checkCapabilities(req, adapters.openai.capabilities, 'reject');
    expect(out.request).toBe(req);
    expect(out.warnings).toEqual([]);
  });

  it('rejects with one UNSUPPORTED_FEATURE error listing every blocking feature', () => {
    try {
      checkCapabilities(base, adapters.bedrock.capabilities, 'reject');
      throw new Error('expected rejection');
    } catch (err) {
      expect(HubpoError.is(err, 'UNSUPPORTED_FEATURE')).toBe(true);
      expect((err as HubpoError).status).toBe(400);
      expect((err as HubpoError).details['features']).toBe(
        'imageUrls,jsonSchema,multipleChoices,logprobs,seed,maxStopSequences',
      );
    }
  });

  it('drops or degrades each unsupported feature with a warning, leaving the input untouched', () => {
    const out = checkCapabilities(base, adapters.bedrock.capabilities, 'drop', 'bedrock');
    expect(out.warnings.map((w) => w.feature)).toEqual([
      'imageUrls',
      'jsonSchema',
      'multipleChoices',
      'logprobs',
      'seed',
      'maxStopSequences',
    ]);
    expect(out.request.messages[0]!.content).toEqual([{ kind: 'text', text: 'look' }]);
    expect(out.request.responseFormat).toBeUndefined();
    expect(out.request.n).toBeUndefined();
    expect(out.request.stop).toEqual(['a', 'b', 'c', 'd']);
    expect(base.messages[0]!.content).toHaveLength(2);
  });

  it('degrades json_schema to json_object where only JSON mode exists', () => {
    const out = checkCapabilities(base, { ...adapters.openai.capabilities, jsonSchema: false }, 'drop');
    expect(out.request.responseFormat).toEqual({ kind: 'json_object' });
  });

  it('treats cache breakpoints as hints: dropped with a warning even under reject', () => {
    const req: ChatRequest = { ...base, n: 1, stop: [], responseFormat: { kind: 'json_object' } };
    const out = checkCapabilities(req, adapters.openai.capabilities, 'reject');
    expect(out.warnings.map((w) => w.feature)).toEqual(['promptCaching']);
    expect(out.request.system).toEqual([{ kind: 'text', text: 'sys' }]);
  });

  it('removes provider-hosted tools of another family and keeps a placeholder where a turn would empty', () => {
    const req: ChatRequest = {
      ...base,
      n: 1,
      system: [],
      responseFormat: undefined as never,
      messages: [{ role: 'user', content: [{ kind: 'image', source: { kind: 'url', url: 'https://x' } }] }],
      tools: [
        { kind: 'builtin', family: 'anthropic', value: { type: 'web_search_20250305', name: 'web_search' } },
      ],
    };
    const out = checkCapabilities(req, adapters.gemini.capabilities, 'drop', 'gemini');
    expect(out.request.tools).toEqual([]);
    expect(out.request.messages[0]!.content).toEqual([{ kind: 'text', text: '[image omitted]' }]);
  });

  it('always rejects streaming to a target that cannot stream', () => {
    expect(() =>
      checkCapabilities(
        { ...base, stream: true },
        { ...adapters.openai.capabilities, streaming: false },
        'drop',
      ),
    ).toThrow(expect.objectContaining({ kind: 'UNSUPPORTED_FEATURE' }));
  });
});
