import { createHash } from 'node:crypto';
import { HubpoError } from '@hubpo/core';
import { assembleSnapshot, buildSnapshot, decodeResource, payloadVersion, snapshotHash } from './snapshot.js';
import { modelObject, routeObject, sampleObjects } from './testdata/fixtures.js';

describe('buildSnapshot', () => {
  it('encodes each object as stable JSON with its content hash as version', () => {
    const snap = buildSnapshot('prod', 7, [
      { kind: 'Route', name: 'web', value: { b: 1, a: { d: [2, 1], c: null } } },
    ]);
    const res = snap.resources.get('Route/web')!;
    const json = '{"a":{"c":null,"d":[2,1]},"b":1}';
    expect(Buffer.from(res.payload).toString('utf8')).toBe(json);
    expect(res.version).toBe(createHash('sha256').update(json).digest('hex').slice(0, 16));
    expect(res.version).toBe(payloadVersion(res.payload));
    expect(snap).toMatchObject({ cluster: 'prod', revision: 7 });
  });

  it('gives identical config identical versions and hash, whatever the order or revision', () => {
    const a = buildSnapshot('prod', 1, sampleObjects());
    const shuffled = sampleObjects().reverse();
    const reordered = shuffled.map((o) => ({
      ...o,
      value: Object.fromEntries(Object.entries(o.value as object).reverse()),
    }));
    const b = buildSnapshot('prod', 2, reordered);
    expect(b.hash).toBe(a.hash);
    expect([...b.resources.values()].map((r) => r.version)).toEqual(
      [...a.resources.values()].map((r) => r.version),
    );
    expect([...b.resources.keys()]).toEqual(['AIModel/default/gpt', 'Route/api', 'Route/default/web']);
  });

  it('changes the hash when any resource changes, appears or disappears', () => {
    const base = buildSnapshot('prod', 1, sampleObjects()).hash;
    const changed = buildSnapshot('prod', 1, [
      ...sampleObjects().slice(0, 2),
      modelObject('default/gpt', { strategy: 'Weighted' }),
    ]);
    const added = buildSnapshot('prod', 1, [...sampleObjects(), routeObject('extra')]);
    const removed = buildSnapshot('prod', 1, sampleObjects().slice(1));
    const renamed = buildSnapshot('prod', 1, [
      ...sampleObjects().slice(1),
      { ...modelObject('x'), name: 'other' },
    ]);
    const hashes = new Set([base, changed.hash, added.hash, removed.hash, renamed.hash]);
    expect(hashes.size).toBe(5);
  });

  it('hashes the snapshot as contentHash of sorted (key, version) pairs', () => {
    const snap = buildSnapshot('prod', 1, sampleObjects());
    const pairs = [...snap.resources].map(([k, r]) => [k, r.version]);
    const expected = createHash('sha256').update(JSON.stringify(pairs)).digest('hex').slice(0, 16);
    expect(snap.hash).toBe(expected);
    expect(snapshotHash([...pairs].reverse() as [string, string][])).toBe(expected);
    expect(buildSnapshot('empty', 0, []).hash).toBe(
      createHash('sha256').update('[]').digest('hex').slice(0, 16),
    );
  });

  it('rejects duplicates, non-JSON values, unsafe revisions and empty clusters', () => {
    expect(() => buildSnapshot('prod', 1, [routeObject('a'), routeObject('a')])).toThrow(
      /duplicate resource Route\/a/,
    );
    expect(() => buildSnapshot('prod', 1, [{ kind: 'Route', name: 'a', value: undefined }])).toThrow(
      /not JSON/,
    );
    expect(() => buildSnapshot('prod', 2 ** 53, [])).toThrow(/safe integer/);
    expect(() => buildSnapshot('prod', -1, [])).toThrow(/safe integer/);
    expect(() => buildSnapshot('', 1, [])).toThrow(/cluster is empty/);
    try {
      buildSnapshot('prod', 1.5, []);
    } catch (err) {
      expect(HubpoError.is(err, 'SNAPSHOT_INVALID')).toBe(true);
    }
  });
});

describe('decodeResource', () => {
  it('parses the payload back into the object', () => {
    const snap = buildSnapshot('prod', 1, [routeObject('web')]);
    expect(decodeResource(snap.resources.get('Route/web')!)).toEqual(routeObject('web').value);
  });

  it('reports a payload that is not UTF-8 JSON', () => {
    const bad = { kind: 'Route', name: 'x', version: 'v', payload: Uint8Array.of(0xff, 0xfe) };
    expect(() => decodeResource(bad)).toThrow(/not UTF-8 JSON/);
  });
});

describe('assembleSnapshot', () => {
  it('rebuilds a snapshot from its resources and checks the hash', () => {
    const snap = buildSnapshot('prod', 3, sampleObjects());
    const again = assembleSnapshot('prod', 3, [...snap.resources.values()].reverse(), snap.hash);
    expect(again.hash).toBe(snap.hash);
    expect([...again.resources.keys()]).toEqual([...snap.resources.keys()]);
    expect(() => assembleSnapshot('prod', 3, [...snap.resources.values()].slice(1), snap.hash)).toThrow(
      /expected/,
    );
  });

  it('rejects a payload that does not match its version', () => {
    const res = buildSnapshot('prod', 1, [routeObject('web')]).resources.get('Route/web')!;
    const tampered = {
      ...res,
      payload: Buffer.from(Buffer.from(res.payload).toString().replace('web', 'wex')),
    };
    expect(() => assembleSnapshot('prod', 1, [tampered])).toThrow(/does not match version/);
  });
});
