/*
 * The gateway's last-known-good snapshot file (ARCHITECTURE.md, config pipeline §4). Layout, all
 * integers big-endian:
 *
 *   offset  size  field
 *   0       8     magic "HUBPOSNP"
 *   8       2     format version (1)
 *   10      2     flags: bit 0 = body encrypted; other bits must be 0
 *   12      8     body length in bytes
 *   20      32    SHA-256 over bytes 0..19 and the body
 *   52      n     body: the encoded hubpo.config.v1.Snapshot message, or encrypt() of it
 *
 * The checksum covers the stored body (ciphertext when encrypted), so damage is detected before
 * decryption. A short, long, tampered or unreadable file throws SNAPSHOT_CORRUPT.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HubpoError, errorMessage } from '@hubpo/core';
import { decodeSnapshot, encodeSnapshot } from './config-codec.js';
import type { Snapshot } from './snapshot.js';

export const SNAPSHOT_FILE_MAGIC = 'HUBPOSNP';
export const SNAPSHOT_FILE_VERSION = 1;

const FLAG_ENCRYPTED = 0x1;
const HEADER_FIELDS = 20;
const HEADER_SIZE = HEADER_FIELDS + 32;
const magic = Buffer.from(SNAPSHOT_FILE_MAGIC, 'ascii');

export interface SnapshotFileEncodeOptions {
  /** Encrypts the body (e.g. AES-256-GCM with the gateway's key); the snapshot holds credentials. */
  readonly encrypt?: (plain: Buffer) => Buffer;
}

export interface SnapshotFileDecodeOptions {
  /**
   * Decrypts the body. When given, a file written without encryption is refused, so a plaintext
   * file cannot stand in for an encrypted one.
   */
  readonly decrypt?: (cipher: Buffer) => Buffer;
}

export function encodeSnapshotFile(snapshot: Snapshot, options: SnapshotFileEncodeOptions = {}): Buffer {
  const plain = encodeSnapshot(snapshot);
  const body = options.encrypt === undefined ? plain : options.encrypt(plain);
  const header = Buffer.alloc(HEADER_SIZE);
  magic.copy(header, 0);
  header.writeUInt16BE(SNAPSHOT_FILE_VERSION, 8);
  header.writeUInt16BE(options.encrypt === undefined ? 0 : FLAG_ENCRYPTED, 10);
  header.writeBigUInt64BE(BigInt(body.length), 12);
  checksum(header.subarray(0, HEADER_FIELDS), body).copy(header, HEADER_FIELDS);
  return Buffer.concat([header, body]);
}

export function decodeSnapshotFile(file: Uint8Array, options: SnapshotFileDecodeOptions = {}): Snapshot {
  const buf = Buffer.isBuffer(file) ? file : Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < HEADER_SIZE) corrupt(`file is ${buf.length} bytes, shorter than its header`);
  if (!buf.subarray(0, 8).equals(magic)) corrupt('not a Hubpo snapshot file (bad magic)');
  const version = buf.readUInt16BE(8);
  if (version !== SNAPSHOT_FILE_VERSION) corrupt(`unsupported format version ${version}`);
  const flags = buf.readUInt16BE(10);
  if ((flags & ~FLAG_ENCRYPTED) !== 0) corrupt(`unknown flags 0x${flags.toString(16)}`);
  const length = buf.readBigUInt64BE(12);
  if (length !== BigInt(buf.length - HEADER_SIZE)) {
    corrupt(`body is ${buf.length - HEADER_SIZE} bytes, header says ${length} (truncated or extended)`);
  }
  const body = buf.subarray(HEADER_SIZE);
  const expected = buf.subarray(HEADER_FIELDS, HEADER_SIZE);
  if (!timingSafeEqual(checksum(buf.subarray(0, HEADER_FIELDS), body), expected))
    corrupt('checksum mismatch');
  const encrypted = (flags & FLAG_ENCRYPTED) !== 0;
  if (encrypted && options.decrypt === undefined)
    corrupt('file is encrypted and no decrypt function was given');
  if (!encrypted && options.decrypt !== undefined)
    corrupt('file is not encrypted but encryption is required');
  let plain = body;
  if (options.decrypt !== undefined) {
    try {
      plain = options.decrypt(body);
    } catch (err) {
      corrupt(`cannot decrypt: ${errorMessage(err)}`, err);
    }
  }
  try {
    return decodeSnapshot(plain);
  } catch (err) {
    corrupt(`invalid snapshot body: ${errorMessage(err)}`, err);
  }
}

function checksum(headerFields: Buffer, body: Buffer): Buffer {
  return createHash('sha256').update(headerFields).update(body).digest();
}

function corrupt(message: string, cause?: unknown): never {
  throw new HubpoError('SNAPSHOT_CORRUPT', `snapshot file: ${message}`, cause === undefined ? {} : { cause });
}
