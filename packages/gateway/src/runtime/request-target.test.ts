import { normalizeHost, normalizePath, splitTarget } from './request-target.js';
import type { SplitTarget } from './request-target.js';

describe('normalizePath', () => {
  it.each([
    ['/a/b', '/a/b'],
    ['/', '/'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/../../a', '/a'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['//a///b', '/a/b'],
    ['/%7Euser/%2e%2e/x', '/x'],
    ['/a%2fb', '/a%2Fb'],
    ['/a%20b', '/a%20b'],
    ['/a%c3%a9', '/a%C3%A9'],
    ['/caf%C3%A9', '/caf%C3%A9'],
    ['/.well-known/x', '/.well-known/x'],
    ['/bad%zz', '/bad%zz'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });

  it('returns the same string when there is nothing to normalise', () => {
    const path = '/api/v1/users/42';
    expect(normalizePath(path)).toBe(path);
  });
});

describe('normalizeHost', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['example.com:8080', 'example.com'],
    ['example.com.', 'example.com'],
    ['[::1]:443', '[::1]'],
    ['', ''],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });

  it('treats a missing Host as empty', () => {
    expect(normalizeHost(undefined)).toBe('');
  });
});

describe('splitTarget', () => {
  const split = (url: string): SplitTarget | null => {
    const out: SplitTarget = { path: '', query: '', authority: null };
    return splitTarget(url, out) ? out : null;
  };

  it.each([
    ['/a/b?x=1&y', { path: '/a/b', query: '?x=1&y', authority: null }],
    ['/a', { path: '/a', query: '', authority: null }],
    ['http://Host.example:81/p?q', { path: '/p', query: '?q', authority: 'Host.example:81' }],
    ['https://user@h.example', { path: '/', query: '', authority: 'h.example' }],
    ['http://h.example?q=/x', { path: '/', query: '?q=/x', authority: 'h.example' }],
  ])('%s', (url, expected) => {
    expect(split(url)).toEqual(expected);
  });

  it('refuses asterisk-form and other non-path targets', () => {
    expect(split('*')).toBeNull();
    expect(split('example.com:443')).toBeNull();
  });
});
