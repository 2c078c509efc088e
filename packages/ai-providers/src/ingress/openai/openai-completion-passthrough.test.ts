import { passThroughOpenAIChatCompletion } from './openai-completion-passthrough.js';

function completion(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-2024-08-06',
    system_fingerprint: 'fp_1',
    service_tier: 'default',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hi "model" there', annotations: [] },
        logprobs: { content: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105], top_logprobs: [] }] },
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: 12,
      completion_tokens: 4,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 8 },
      completion_tokens_details: { reasoning_tokens: 2 },
    },
    ...extra,
  };
}

describe('passThroughOpenAIChatCompletion', () => {
  it('keeps every field the provider sent (unknown ones included) and renames the model', () => {
    const upstream = completion();
    const out = passThroughOpenAIChatCompletion(Buffer.from(JSON.stringify(upstream)), 'chat');
    expect(out).not.toBeNull();
    expect(JSON.parse(out!.body)).toEqual({ ...upstream, model: 'chat' });
  });

  it('reports the usage with cached and reasoning tokens', () => {
    const out = passThroughOpenAIChatCompletion(JSON.stringify(completion()), 'chat');
    expect(out!.usage).toEqual({
      inputTokens: 12,
      cachedInputTokens: 8,
      cacheWriteInputTokens: 0,
      reasoningTokens: 2,
      outputTokens: 4,
      estimated: false,
    });
  });

  it('declines (null) what the parse-and-render path must handle', () => {
    expect(passThroughOpenAIChatCompletion(JSON.stringify(completion({ usage: undefined })), 'c')).toBeNull();
    expect(
      passThroughOpenAIChatCompletion(JSON.stringify(completion({ error: { message: 'x' } })), 'c'),
    ).toBeNull();
    expect(passThroughOpenAIChatCompletion(JSON.stringify({ usage: completion()['usage'] }), 'c')).toBeNull();
    expect(passThroughOpenAIChatCompletion('not json', 'c')).toBeNull();
  });
});
