import { HubpoError } from '@hubpo/core';
import { parseData } from './secret-routes.js';

function issuesOf(body: unknown): string[] {
  try {
    parseData(body);
  } catch (err) {
    if (err instanceof HubpoError) return (err.issues ?? []).map((i) => i.path);
    throw err;
  }
  return [];
}

describe('secret body validation', () => {
  it('accepts string values under well-formed keys', () => {
    expect(parseData({ data: { apiKey: 'sk-1', 'tls.crt': 'x' } })).toEqual({
      apiKey: 'sk-1',
      'tls.crt': 'x',
    });
  });

  it('names bad keys, empty or over-long values and unknown fields, never echoing a value', () => {
    expect(
      issuesOf({ data: { 'a/b': 'v', empty: '', n: 3, big: 'y'.repeat(64 * 1024 + 1) }, extra: 1 }).sort(),
    ).toEqual(['/data/a~1b', '/data/big', '/data/empty', '/data/n', '/extra']);
    try {
      parseData({ data: { big: 'secret-value'.repeat(10_000) } });
    } catch (err) {
      expect(JSON.stringify(err)).not.toContain('secret-value');
      expect((err as HubpoError).message).not.toContain('secret-value');
    }
  });

  it('refuses a missing or empty data object and too many keys', () => {
    expect(issuesOf({})).toEqual(['/data']);
    expect(issuesOf({ data: {} })).toEqual(['/data']);
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
    expect(issuesOf({ data: many })).toEqual(['/data']);
  });
});
