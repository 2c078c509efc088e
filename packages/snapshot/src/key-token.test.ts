import { HubpoError } from '@hubpo/core';
import { escapeKeyToken, unescapeKeyToken } from './key-token.js';

const kvKeyToken = /^[-/_=a-zA-Z0-9]+$/; // a KV key token: the key charset minus "."

describe('escapeKeyToken', () => {
  it.each([
    ['prod-eu', 'prod-eu'],
    ['default/web_1', 'default/web_1'],
    ['api.example.com', 'api=2Eexample=2Ecom'],
    ['a=b', 'a=3Db'],
    ['*', '=2A'],
    ['>', '=3E'],
    ['two words', 'two=20words'],
    ['é', '=C3=A9'],
  ])('escapes %j as %j', (raw, escaped) => {
    expect(escapeKeyToken(raw)).toBe(escaped);
    expect(unescapeKeyToken(escaped)).toBe(raw);
  });

  it('round-trips any name into a single valid token', () => {
    const names = [
      'x',
      'a.b.c',
      '=',
      '==41',
      'ns/name.v1',
      '🙂 emoji',
      'tab\there',
      '%2E',
      'UPPER.lower',
      '\u0000',
    ];
    for (const name of names) {
      const token = escapeKeyToken(name);
      expect(token).toMatch(kvKeyToken);
      expect(unescapeKeyToken(token)).toBe(name);
    }
  });

  it('is injective: different names never share a token', () => {
    const names = ['a.b', 'a=2Eb', 'a_b', 'a/b', 'a-b', 'A.b'];
    const tokens = new Set(names.map(escapeKeyToken));
    expect(tokens.size).toBe(names.length);
  });

  it('rejects what it cannot represent', () => {
    expect(() => escapeKeyToken('')).toThrow(HubpoError);
    expect(() => escapeKeyToken('lone \ud800 surrogate')).toThrow(/well-formed/);
  });

  it('rejects tokens it would never produce', () => {
    expect(() => unescapeKeyToken('a.b')).toThrow(/not an escaped key token/);
    expect(() => unescapeKeyToken('=4')).toThrow(/not an escaped key token/);
    expect(() => unescapeKeyToken('=41')).toThrow(/non-canonical/); // "A" is written as "A"
    expect(() => unescapeKeyToken('=FF')).toThrow(); // not UTF-8
  });
});
