import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildSnapshot } from './snapshot.js';
import { decodeSnapshotFile, encodeSnapshotFile } from './snapshot-file.js';
import { readSnapshotFile, writeSnapshotFileAtomic } from './snapshot-file-io.js';
import { routeObject } from './testdata/fixtures.js';

describe('snapshot file I/O', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hubpo-snapshot-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads nothing before the first write, then the latest write', async () => {
    const file = path.join(dir, 'lkg.snap');
    expect(await readSnapshotFile(file)).toBeUndefined();
    await writeSnapshotFileAtomic(file, encodeSnapshotFile(buildSnapshot('prod', 1, [routeObject('a')])));
    await writeSnapshotFileAtomic(file, encodeSnapshotFile(buildSnapshot('prod', 2, [routeObject('b')])));
    const read = await readSnapshotFile(file);
    expect(decodeSnapshotFile(read!).revision).toBe(2);
    expect(await readdir(dir)).toEqual(['lkg.snap']); // no temp files left behind
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('leaves the previous file intact and no temp file when a write fails', async () => {
    const file = path.join(dir, 'lkg.snap');
    await writeFile(file, 'previous');
    await expect(
      writeSnapshotFileAtomic(path.join(dir, 'missing-dir', 'lkg.snap'), Buffer.from('x')),
    ).rejects.toThrow(/ENOENT/);
    // Renaming onto a directory fails after the temp file was written.
    await expect(writeSnapshotFileAtomic(dir, Buffer.from('x'))).rejects.toThrow();
    expect((await readSnapshotFile(file))!.toString()).toBe('previous');
    expect((await readdir(dir)).sort()).toEqual(['lkg.snap']);
  });
});
