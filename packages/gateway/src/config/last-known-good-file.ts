import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeSnapshotFile,
  encodeSnapshotFile,
  readSnapshotFile,
  writeSnapshotFileAtomic,
} from '@hubpo/snapshot';
import type { Snapshot } from '@hubpo/snapshot';

/** File name of the last-known-good snapshot inside the data dir. */
export const LKG_FILE_NAME = 'last-known-good.snapshot';

/**
 * The gateway's last-known-good snapshot on disk (ARCHITECTURE.md "The config pipeline" §4):
 * the @hubpo/snapshot file format (checksummed Snapshot message), replaced atomically (temp file,
 * fsync, rename) after every ACKed revision. Credentials inside payloads are the sealed ones the
 * control plane sent; nothing is decrypted before it is written.
 */
export class LastKnownGoodFile {
  readonly dir: string;
  readonly path: string;

  constructor(dir: string) {
    this.dir = dir;
    this.path = join(dir, LKG_FILE_NAME);
  }

  /**
   * The stored snapshot, or undefined when there is no file. Throws HubpoError
   * ('SNAPSHOT_CORRUPT') when the file exists but fails its checksum or does not decode.
   */
  async load(): Promise<Snapshot | undefined> {
    const bytes = await readSnapshotFile(this.path);
    return bytes === undefined ? undefined : decodeSnapshotFile(bytes);
  }

  async save(snapshot: Snapshot): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeSnapshotFileAtomic(this.path, encodeSnapshotFile(snapshot));
  }
}
