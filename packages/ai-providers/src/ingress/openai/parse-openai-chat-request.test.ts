import { HubpoError } from '@hubpo/core';
import { parseOpenAIChatRequest } from './parse-openai-chat-request.js';

function issuesOf(body: unknown): { path: string; message: string }[] {
  try {
    parseOpenAIChatRequest(body);
  } catch (err) {
    if (HubpoError.is(err)) return [...err.issues];
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('parseOpenAIChatRequest', () => {
  it('parses every modelled field into the internal form', () => {
    const req = parseOpenAIChatRequest(
      JSON.stringify({
        model: 'gpt-4o',
        messages: [
          { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] },
          {
            role: 'user',
            name: 'ann',
            content: [
              { type: 'text', text: 'hi' },
              { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } },
              { type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } },
            ],
          },
        ],
        temperature: 0.5,
        top_p: 0.9,
        max_completion_tokens: 50,
        max_tokens: 10,
        stop: 'STOP',
        seed: 7,
        n: 2,
        logprobs: true,
        top_logprobs: 3,
        presence_penalty: 0.1,
        frequency_penalty: -0.1,
        user: 'u1',
        metadata: { team: 'a' },
        stream: true,
        stream_options: { include_usage: true },
        reasoning_effort: 'high',
        parallel_tool_calls: false,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'x', schema: { type: 'object' }, strict: true },
        },
        service_tier: 'flex',
        logit_bias: { '50256': -100 },
      }),
    );
    expect(req).toMatchObject({
      model: 'gpt-4o',
      temperature: 0.5,
      topP: 0.9,
      maxTokens: 50,
      stop: ['STOP'],
      seed: 7,
      n: 2,
      logprobs: true,
      topLogprobs: 3,
      presencePenalty: 0.1,
      frequencyPenalty: -0.1,
      user: 'u1',
      metadata: { team: 'a' },
      stream: true,
      streamOptions: { includeUsage: true },
      thinking: { kind: 'enabled', effort: 'high' },
      parallelToolCalls: false,
      responseFormat: { kind: 'json_schema', name: 'x', schema: { type: 'object' }, strict: true },
      extensions: { openai: { service_tier: 'flex', logit_bias: { '50256': -100 } } },
    });
    expect(req.messages[0]).toEqual({ role: 'developer', content: [{ kind: 'text', text: 'Be brief.' }] });
    expect(req.messages[1]).toEqual({
      role: 'user',
      name: 'ann',
      content: [
        { kind: 'text', text: 'hi' },
        { kind: 'image', source: { kind: 'url', url: 'https://x/y.png' }, detail: 'low' },
        {
          kind: 'opaque',
          family: 'openai',
          value: { type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } },
        },
      ],
    });
  });

  it('names every bad field with a JSON pointer, as one 400 VALIDATION error', () => {
    let error: unknown;
    try {
      parseOpenAIChatRequest({
        messages: [
          { role: 'user', content: 5 },
          { role: 'wizard', content: 'x' },
        ],
        temperature: 3,
        n: 1.5,
      });
    } catch (err) {
      error = err;
    }
    expect(HubpoError.is(error, 'VALIDATION')).toBe(true);
    expect((error as HubpoError).status).toBe(400);
    expect((error as HubpoError).issues).toEqual([
      { path: '/model', message: 'is required' },
      { path: '/messages/0/content', message: 'must be a string or an array of content parts' },
      { path: '/messages/1/role', message: 'must be one of system, developer, user, assistant, tool' },
      { path: '/temperature', message: 'must be <= 2' },
      { path: '/n', message: 'must be an integer' },
    ]);
    expect((error as HubpoError).message).toBe('model: is required (and 4 more)');
  });

  it('rejects bodies that are not JSON objects as BAD_REQUEST', () => {
    expect(() => parseOpenAIChatRequest('{not json')).toThrow(
      expect.objectContaining({ kind: 'BAD_REQUEST' }),
    );
    expect(() => parseOpenAIChatRequest('[]')).toThrow(expect.objectContaining({ kind: 'BAD_REQUEST' }));
  });

  it('checks tool calls, tool messages and tool_choice', () => {
    expect(
      issuesOf({
        model: 'm',
        messages: [
          { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: {} }] },
          { role: 'tool', content: 'x' },
        ],
        tool_choice: 'sometimes',
      }),
    ).toEqual([
      { path: '/messages/0/tool_calls/0/function/name', message: 'is required' },
      { path: '/messages/1/tool_call_id', message: 'is required' },
      {
        path: '/tool_choice',
        message: 'must be "auto", "none", "required" or {"type":"function","function":{"name":...}}',
      },
    ]);
  });

  it('turns data: URLs into inline images and keeps tool calls verbatim', () => {
    const req = parseOpenAIChatRequest({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } }],
        },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a": 1}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'ok' }] },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'f', description: 'd', parameters: { type: 'object' }, strict: true },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'f' } },
    });
    expect(req.messages.map((m) => m.content)).toEqual([
      [{ kind: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } }],
      [{ kind: 'tool_call', id: 'c1', name: 'f', arguments: '{"a": 1}' }],
      [{ kind: 'tool_result', toolCallId: 'c1', content: [{ kind: 'text', text: 'ok' }] }],
    ]);
    expect(req.tools).toEqual([
      { kind: 'function', name: 'f', description: 'd', parameters: { type: 'object' }, strict: true },
    ]);
    expect(req.toolChoice).toEqual({ kind: 'tool', name: 'f' });
  });
});
