import type { ChatRequest } from '@hubpo/ai-providers';
import { completionForLog, promptForLog } from './ai-log-text.js';
import { Redactor } from './redactor.js';

const emails = [new Redactor(['email'], [])];

function request(messages: ChatRequest['messages']): ChatRequest {
  return {
    model: 'm',
    system: [],
    messages,
    tools: [],
    stream: false,
    streamOptions: { includeUsage: false },
    extensions: {},
  };
}

describe('prompt and completion text for logs', () => {
  it('never leaves a fragment of a secret that straddles the cut', () => {
    const text = `${'x'.repeat(10)} ana.lee@example.com trailing`;
    const out = promptForLog(request([{ role: 'user', content: [{ kind: 'text', text }] }]), emails, 20);
    expect(out.value).toEqual([{ role: 'user', text: `${'x'.repeat(10)} [REDACTED` }]);
    expect(out.truncated).toBe(true);
    expect(JSON.stringify(out.value)).not.toContain('ana');
  });

  it('shows tool calls, tool results and media as text', () => {
    const out = promptForLog(
      request([
        {
          role: 'assistant',
          content: [{ kind: 'tool_call', id: 't1', name: 'lookup', arguments: '{"email":"bo@example.org"}' }],
        },
        {
          role: 'tool',
          content: [
            { kind: 'tool_result', toolCallId: 't1', content: [{ kind: 'text', text: 'found' }] },
            { kind: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } },
          ],
        },
      ]),
      emails,
      1000,
    );
    expect(out.value).toEqual([
      { role: 'assistant', text: '[tool_call lookup] {"email":"[REDACTED:email]"}' },
      { role: 'tool', text: '[tool_result] found\n[image]' },
    ]);
  });

  it('numbers the choices of a multi-choice completion', () => {
    const choice = (index: number, text: string) => ({
      index,
      content: [{ kind: 'text' as const, text }],
      finish: { reason: 'stop' as const, raw: 'stop' },
    });
    const out = completionForLog(
      { id: 'r', model: 'm', created: 0, choices: [choice(0, 'a'), choice(1, 'b')], usage: {} as never },
      [],
      100,
    );
    expect(out).toEqual({ value: '[0] a\n[1] b', truncated: false });
  });
});
