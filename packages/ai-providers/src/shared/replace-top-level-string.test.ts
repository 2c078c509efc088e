import { replaceTopLevelString, topLevelStringRange } from './replace-top-level-string.js';

const NEW = JSON.stringify('my-model');

describe('replaceTopLevelString', () => {
  it('replaces the top-level field and leaves every other byte as it was', () => {
    const text =
      '{"id":"c1","object":"chat.completion","created":1,"model":"gpt-x","choices":[],"extra":{"a":1}}';
    const out = replaceTopLevelString(text, 'model', NEW);
    expect(out).toBe(text.replace('"gpt-x"', NEW));
    expect(JSON.parse(out)).toEqual({ ...JSON.parse(text), model: 'my-model' });
  });

  it('never touches a nested field of the same name, nor the name inside a string value', () => {
    const text = JSON.stringify({
      meta: { model: 'nested' },
      note: 'the "model":"fake" text',
      list: [{ model: 'in-array' }],
      model: 'top',
    });
    const parsed = JSON.parse(replaceTopLevelString(text, 'model', NEW)) as Record<string, unknown>;
    expect(parsed).toEqual({
      meta: { model: 'nested' },
      note: 'the "model":"fake" text',
      list: [{ model: 'in-array' }],
      model: 'my-model',
    });
  });

  it('handles whitespace, escapes and unicode around the value', () => {
    const text = '{ "id" : "a\\"b\\\\" ,\n  "model" :  "caf\\u00e9 \\"x\\"" , "n": 1 }';
    const out = replaceTopLevelString(text, 'model', NEW);
    expect(JSON.parse(out)).toEqual({ id: 'a"b\\', model: 'my-model', n: 1 });
  });

  it('leaves the text unchanged when there is no top-level string field', () => {
    for (const text of [
      '{"id":"x"}',
      '{"model":null}',
      '{"model":3}',
      '{"a":{"model":"x"}}',
      '"model"',
      '{"model":"unterminated',
    ]) {
      expect(replaceTopLevelString(text, 'model', NEW)).toBe(text);
    }
    expect(topLevelStringRange('{"a":"model","b":1}', 'model')).toBeNull(); // a value, not a key
  });
});
