import { applyJsonPatch, JsonPatchError } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';

describe('applyJsonPatch', () => {
  const doc = () => ({ a: { b: [1, 2, 3], 'x/y': 1, 't~': 2 }, c: 'c' });

  it('follows the RFC 6902 examples', () => {
    expect(applyJsonPatch(doc(), [{ op: 'add', path: '/a/b/1', value: 9 }])).toEqual({
      ...doc(),
      a: { ...doc().a, b: [1, 9, 2, 3] },
    });
    expect(applyJsonPatch(doc(), [{ op: 'remove', path: '/a/b/0' }])).toMatchObject({ a: { b: [2, 3] } });
    expect(applyJsonPatch(doc(), [{ op: 'replace', path: '/a/x~1y', value: 5 }])).toMatchObject({
      a: { 'x/y': 5 },
    });
    expect(applyJsonPatch(doc(), [{ op: 'remove', path: '/a/t~0' }])).toEqual({
      a: { b: [1, 2, 3], 'x/y': 1 },
      c: 'c',
    });
    expect(applyJsonPatch(doc(), [{ op: 'move', from: '/c', path: '/d' }])).toEqual({ a: doc().a, d: 'c' });
    expect(applyJsonPatch(doc(), [{ op: 'copy', from: '/a/b', path: '/e' }])).toMatchObject({ e: [1, 2, 3] });
    expect(applyJsonPatch(doc(), [{ op: 'replace', path: '', value: 1 }])).toBe(1);
  });

  it('does not modify its input and is all-or-nothing', () => {
    const input = doc();
    expect(() =>
      applyJsonPatch(input, [
        { op: 'remove', path: '/c' },
        { op: 'test', path: '/c', value: 'c' },
      ]),
    ).toThrow(JsonPatchError);
    expect(input).toEqual(doc());
  });

  it.each([
    [[{ op: 'replace', path: '/nope', value: 1 }], false],
    [[{ op: 'add', path: '/a/b/7', value: 1 }], false],
    [[{ op: 'test', path: '/c', value: 'd' }], false],
    [[{ op: 'add', path: 'a' }], true],
    [[{ op: 'add', path: '/a' }], true],
    [{ op: 'add' }, true],
  ])('fails %j (malformed: %s)', (patch, malformed) => {
    try {
      applyJsonPatch(doc(), patch);
      throw new Error('expected failure');
    } catch (err) {
      expect(err).toBeInstanceOf(JsonPatchError);
      expect((err as JsonPatchError).malformed).toBe(malformed);
    }
  });
});

describe('applyMergePatch', () => {
  it('follows the RFC 7386 examples', () => {
    expect(applyMergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' });
    expect(applyMergePatch({ a: 'b' }, { a: null })).toEqual({});
    expect(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
    expect(applyMergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } })).toEqual({ a: { b: 'd' } });
    expect(applyMergePatch(['a'], { a: 'b' })).toEqual({ a: 'b' });
    expect(applyMergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
    expect(applyMergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
  });
});
