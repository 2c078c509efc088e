import { HubpoError } from '@hubpo/core';
import { parseAnthropicRequest } from './parse-anthropic-request.js';

describe('parseAnthropicRequest', () => {
  it('keeps cache breakpoints, thinking blocks with signatures, documents and unknown blocks', () => {
    const req = parseAnthropicRequest({
      model: 'claude',
      max_tokens: 1024,
      system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      thinking: { type: 'enabled', budget_tokens: 2048 },
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      tools: [
        { name: 'f', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
      ],
      container: 'c1',
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
              title: 'Spec',
            },
            { type: 'text', text: 'read', cache_control: { type: 'ephemeral' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'enc' },
            { type: 'server_tool_use', id: 'srv', name: 'web_search', input: { query: 'q' } },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't1',
              is_error: true,
              content: [{ type: 'text', text: 'boom' }],
            },
          ],
        },
      ],
    });
    expect(req.system).toEqual([
      { kind: 'text', text: 'sys', cacheControl: { type: 'ephemeral', ttl: '1h' } },
    ]);
    expect(req.thinking).toEqual({ kind: 'enabled', budgetTokens: 2048 });
    expect(req.toolChoice).toEqual({ kind: 'auto' });
    expect(req.parallelToolCalls).toBe(false);
    expect(req.tools).toEqual([
      { kind: 'function', name: 'f', parameters: { type: 'object' }, cacheControl: { type: 'ephemeral' } },
      {
        kind: 'builtin',
        family: 'anthropic',
        value: { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
      },
    ]);
    expect(req.extensions).toEqual({ anthropic: { container: 'c1' } });
    expect(req.messages[0]!.content).toEqual([
      {
        kind: 'document',
        source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' },
        title: 'Spec',
      },
      { kind: 'text', text: 'read', cacheControl: { type: 'ephemeral' } },
    ]);
    expect(req.messages[1]!.content).toEqual([
      { kind: 'thinking', text: 'hmm', signature: 'sig' },
      { kind: 'redacted_thinking', data: 'enc' },
      {
        kind: 'opaque',
        family: 'anthropic',
        value: { type: 'server_tool_use', id: 'srv', name: 'web_search', input: { query: 'q' } },
      },
    ]);
    expect(req.messages[2]!.content).toEqual([
      { kind: 'tool_result', toolCallId: 't1', isError: true, content: [{ kind: 'text', text: 'boom' }] },
    ]);
  });

  it('requires max_tokens for messages but not for count_tokens', () => {
    const body = { model: 'claude', messages: [{ role: 'user', content: 'hi' }] };
    expect(() => parseAnthropicRequest(body)).toThrow(
      expect.objectContaining({
        kind: 'VALIDATION',
        issues: [{ path: '/max_tokens', message: 'is required' }],
      }),
    );
    expect(parseAnthropicRequest(body, { requireMaxTokens: false }).messages).toHaveLength(1);
  });

  it('names bad fields by JSON pointer', () => {
    try {
      parseAnthropicRequest({
        model: 'c',
        max_tokens: 0,
        messages: [
          { role: 'system', content: 'x' },
          { role: 'user', content: [{ type: 'image', source: { type: 'base64' } }] },
        ],
        temperature: 1.5,
      });
      throw new Error('expected failure');
    } catch (err) {
      expect(HubpoError.is(err, 'VALIDATION')).toBe(true);
      expect((err as HubpoError).issues).toEqual([
        { path: '/max_tokens', message: 'must be >= 1' },
        { path: '/messages/0/role', message: 'must be user or assistant' },
        { path: '/messages/1/content/0/source/media_type', message: 'is required' },
        { path: '/messages/1/content/0/source/data', message: 'is required' },
        { path: '/temperature', message: 'must be <= 1' },
      ]);
    }
  });
});
