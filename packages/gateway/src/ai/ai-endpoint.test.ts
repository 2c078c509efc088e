import { AIEndpoint, endpointMethod, formatOf, resolveEndpoint } from './ai-endpoint.js';

describe('resolveEndpoint', () => {
  it.each([
    ['/v1/chat/completions', AIEndpoint.ChatCompletions],
    ['/chat/completions', AIEndpoint.ChatCompletions],
    ['/v1/embeddings', AIEndpoint.Embeddings],
    ['/v1/models', AIEndpoint.Models],
    ['/v1/messages', AIEndpoint.Messages],
    ['/v1/messages/count_tokens', AIEndpoint.CountTokens],
  ])('%s', (path, endpoint) => {
    expect(resolveEndpoint(path)?.endpoint).toBe(endpoint);
  });

  it('reads model ids (with slashes and escapes) from /v1/models/{id}', () => {
    expect(resolveEndpoint('/v1/models/team%2Fchat')).toEqual({
      endpoint: AIEndpoint.Model,
      modelId: 'team/chat',
    });
    expect(resolveEndpoint('/models/a/b')).toEqual({ endpoint: AIEndpoint.Model, modelId: 'a/b' });
    expect(resolveEndpoint('/v1/models/')).toBeNull();
    expect(resolveEndpoint('/v1/models/%E0%A4%A')).toBeNull();
  });

  it('names nothing else', () => {
    expect(resolveEndpoint('/v1/completions')).toBeNull();
    expect(resolveEndpoint('/')).toBeNull();
  });
});

describe('formatOf and endpointMethod', () => {
  it('follows the endpoint, and the anthropic-version header where the endpoint is shared', () => {
    expect(formatOf(AIEndpoint.Messages, undefined)).toBe('anthropic');
    expect(formatOf(AIEndpoint.ChatCompletions, '2023-06-01')).toBe('openai');
    expect(formatOf(AIEndpoint.Models, '2023-06-01')).toBe('anthropic');
    expect(formatOf(AIEndpoint.Models, undefined)).toBe('openai');
    expect(formatOf(null, undefined)).toBe('openai');
  });

  it('lists are GET, the rest POST', () => {
    expect(endpointMethod(AIEndpoint.Models)).toBe('GET');
    expect(endpointMethod(AIEndpoint.Model)).toBe('GET');
    expect(endpointMethod(AIEndpoint.CountTokens)).toBe('POST');
  });
});
