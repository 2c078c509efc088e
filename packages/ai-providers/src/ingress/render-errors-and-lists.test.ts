import { HubpoError } from '@hubpo/core';
import { makeUsage } from '../internal/usage.js';
import { renderAnthropicError } from './anthropic/render-anthropic-error.js';
import { renderAnthropicCountTokens, renderAnthropicModels } from './anthropic/render-anthropic-models.js';
import { renderOpenAIEmbeddings } from './openai/openai-embeddings-codec.js';
import { parseOpenAIEmbeddingsRequest } from './openai/openai-embeddings-codec.js';
import { renderOpenAIError } from './openai/render-openai-error.js';
import { renderOpenAIModels } from './openai/render-openai-models.js';

describe('error rendering', () => {
  const validation = new HubpoError('VALIDATION', 'messages[0].content: must be a string', {
    status: 400,
    issues: [{ path: '/messages/0/content', message: 'must be a string' }],
  });
  const limited = new HubpoError('PROVIDER_RATE_LIMITED', 'slow down', { details: { retryAfterMs: 1500 } });
  const overloaded = new HubpoError('UNAVAILABLE', 'Overloaded', { details: { overloaded: true } });

  it('renders OpenAI error bodies with type, param and code', () => {
    expect(renderOpenAIError(validation)).toEqual({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        error: {
          message: 'messages[0].content: must be a string',
          type: 'invalid_request_error',
          param: 'messages[0].content',
          code: 'HUBPO_ERR_VALIDATION',
        },
      }),
    });
    const rendered = renderOpenAIError(limited);
    expect(rendered.status).toBe(429);
    expect(rendered.headers['retry-after']).toBe('2');
    expect(JSON.parse(rendered.body).error).toMatchObject({
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
    });
    expect(
      JSON.parse(renderOpenAIError(new HubpoError('CONTEXT_LENGTH_EXCEEDED', 'too long')).body).error.code,
    ).toBe('context_length_exceeded');
  });

  it('renders Anthropic error bodies, overload as 529 overloaded_error', () => {
    expect(renderAnthropicError(overloaded, 'req_1')).toEqual({
      status: 529,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
        request_id: 'req_1',
      }),
    });
    expect(JSON.parse(renderAnthropicError(validation).body)).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'messages[0].content: must be a string' },
    });
    expect(renderAnthropicError(new HubpoError('UNAUTHENTICATED', 'no key')).status).toBe(401);
    expect(
      JSON.parse(renderAnthropicError(new HubpoError('PROVIDER_ERROR', 'upstream')).body).error.type,
    ).toBe('api_error');
  });
});

describe('lists and counts', () => {
  const models = [
    { id: 'gpt-alias', created: 1_700_000_000, ownedBy: 'acme' },
    { id: 'claude-alias', created: 1_700_000_100, displayName: 'Claude (Acme)' },
  ];

  it('renders /v1/models for both APIs', () => {
    expect(renderOpenAIModels(models)).toEqual({
      object: 'list',
      data: [
        { id: 'gpt-alias', object: 'model', created: 1_700_000_000, owned_by: 'acme' },
        { id: 'claude-alias', object: 'model', created: 1_700_000_100, owned_by: 'hubpo' },
      ],
    });
    expect(renderAnthropicModels(models)).toEqual({
      data: [
        { type: 'model', id: 'gpt-alias', display_name: 'gpt-alias', created_at: '2023-11-14T22:13:20.000Z' },
        {
          type: 'model',
          id: 'claude-alias',
          display_name: 'Claude (Acme)',
          created_at: '2023-11-14T22:15:00.000Z',
        },
      ],
      has_more: false,
      first_id: 'gpt-alias',
      last_id: 'claude-alias',
    });
    expect(renderAnthropicCountTokens(42)).toEqual({ input_tokens: 42 });
  });

  it('parses embeddings requests and renders base64 float32 vectors', () => {
    const req = parseOpenAIEmbeddingsRequest({
      model: 'e',
      input: 'hi',
      encoding_format: 'base64',
      dimensions: 2,
    });
    expect(req).toMatchObject({ model: 'e', input: ['hi'], encodingFormat: 'base64', dimensions: 2 });
    expect(() => parseOpenAIEmbeddingsRequest({ model: 'e', input: [1.5] })).toThrow(
      expect.objectContaining({
        issues: [{ path: '/input', message: 'must be a string, an array of strings, or token arrays' }],
      }),
    );
    const out = renderOpenAIEmbeddings(
      { model: 'e', data: [{ index: 0, vector: [1, -2] }], usage: makeUsage({ inputTokens: 1 }) },
      'base64',
    );
    const encoded = (out['data'] as { embedding: string }[])[0]!.embedding;
    const floats = new Float32Array(new Uint8Array(Buffer.from(encoded, 'base64')).buffer);
    expect([...floats]).toEqual([1, -2]);
    expect(out['usage']).toEqual({ prompt_tokens: 1, total_tokens: 1 });
  });
});
