import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { HubpoError } from '@hubpo/core';
import { buildSnapshot } from './snapshot.js';
import { SNAPSHOT_FILE_MAGIC, decodeSnapshotFile, encodeSnapshotFile } from './snapshot-file.js';
import { routeObject, sampleObjects } from './testdata/fixtures.js';

const key = randomBytes(32);
/** AES-256-GCM as a gateway would use it: iv || tag || ciphertext. */
const encrypt = (plain: Buffer): Buffer => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
};
const decryptWith =
  (k: Buffer) =>
  (cipherText: Buffer): Buffer => {
    const decipher = createDecipheriv('aes-256-gcm', k, cipherText.subarray(0, 12));
    decipher.setAuthTag(cipherText.subarray(12, 28));
    return Buffer.concat([decipher.update(cipherText.subarray(28)), decipher.final()]);
  };

function expectCorrupt(fn: () => unknown, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(HubpoError.is(caught, 'SNAPSHOT_CORRUPT')).toBe(true);
  if (message) expect((caught as Error).message).toMatch(message);
}

describe('snapshot file', () => {
  it('round-trips a snapshot', () => {
    const snap = buildSnapshot('prod', 12, sampleObjects());
    const file = encodeSnapshotFile(snap);
    expect(file.subarray(0, 8).toString('ascii')).toBe(SNAPSHOT_FILE_MAGIC);
    const back = decodeSnapshotFile(file);
    expect(back).toMatchObject({ cluster: 'prod', revision: 12, hash: snap.hash });
    expect([...back.resources.keys()]).toEqual([...snap.resources.keys()]);
  });

  it('detects a change of any single byte', () => {
    const file = encodeSnapshotFile(buildSnapshot('prod', 3, [routeObject('web')]));
    for (let i = 0; i < file.length; i += 1) {
      const tampered = Buffer.from(file);
      tampered[i] = tampered[i]! ^ 0x01;
      expectCorrupt(() => decodeSnapshotFile(tampered));
    }
  });

  it('detects truncation at any length and trailing bytes', () => {
    const file = encodeSnapshotFile(buildSnapshot('prod', 3, [routeObject('web')]));
    for (let length = 0; length < file.length; length += 1) {
      expectCorrupt(() => decodeSnapshotFile(file.subarray(0, length)));
    }
    expectCorrupt(() => decodeSnapshotFile(Buffer.concat([file, Buffer.of(0)])), /truncated or extended/);
  });

  it('keeps credentials encrypted at rest and decrypts them back', () => {
    const snap = buildSnapshot('prod', 4, [routeObject('web', { secret: 'sk-live-123' })]);
    const file = encodeSnapshotFile(snap, { encrypt });
    expect(file.includes(Buffer.from('sk-live-123'))).toBe(false);
    expect(decodeSnapshotFile(file, { decrypt: decryptWith(key) }).hash).toBe(snap.hash);
  });

  it('refuses encrypted files without the right key, and plaintext files when encryption is required', () => {
    const snap = buildSnapshot('prod', 4, sampleObjects());
    const encrypted = encodeSnapshotFile(snap, { encrypt });
    expectCorrupt(() => decodeSnapshotFile(encrypted), /no decrypt function/);
    expectCorrupt(
      () => decodeSnapshotFile(encrypted, { decrypt: decryptWith(randomBytes(32)) }),
      /cannot decrypt/,
    );
    expectCorrupt(
      () => decodeSnapshotFile(encodeSnapshotFile(snap), { decrypt: decryptWith(key) }),
      /not encrypted/,
    );
  });

  it('rejects other files and versions', () => {
    expectCorrupt(() => decodeSnapshotFile(Buffer.alloc(100)), /bad magic/);
    const file = encodeSnapshotFile(buildSnapshot('prod', 1, []));
    const future = Buffer.from(file);
    future.writeUInt16BE(2, 8);
    expectCorrupt(() => decodeSnapshotFile(future), /unsupported format version 2/);
  });
});
