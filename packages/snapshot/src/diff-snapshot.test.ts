import { diffSnapshot } from './diff-snapshot.js';
import { buildSnapshot, snapshotVersions } from './snapshot.js';
import { routeObject, sampleObjects } from './testdata/fixtures.js';

describe('diffSnapshot', () => {
  it('gives everything as changed to an empty holder', () => {
    const snap = buildSnapshot('prod', 1, sampleObjects());
    const diff = diffSnapshot(new Map(), snap);
    expect(diff.changed.map((r) => `${r.kind}/${r.name}`)).toEqual([...snap.resources.keys()]);
    expect(diff.removed).toEqual([]);
  });

  it('gives nothing to a holder of the same snapshot', () => {
    const snap = buildSnapshot('prod', 1, sampleObjects());
    expect(diffSnapshot(snapshotVersions(snap), snap)).toEqual({ changed: [], removed: [] });
  });

  it('lists added and changed resources, and removed keys sorted', () => {
    const before = buildSnapshot('prod', 1, [
      routeObject('a'),
      routeObject('b'),
      routeObject('z'),
      routeObject('c'),
    ]);
    const after = buildSnapshot('prod', 2, [
      routeObject('a'),
      routeObject('b', { hostnames: ['b2'] }),
      routeObject('d'),
    ]);
    const diff = diffSnapshot(snapshotVersions(before), after);
    expect(diff.changed.map((r) => r.name)).toEqual(['b', 'd']);
    expect(diff.removed).toEqual(['Route/c', 'Route/z']);
  });

  it('treats a held version that differs in any way as changed', () => {
    const snap = buildSnapshot('prod', 1, [routeObject('a')]);
    const diff = diffSnapshot(new Map([['Route/a', 'stale']]), snap);
    expect(diff.changed).toHaveLength(1);
  });
});
