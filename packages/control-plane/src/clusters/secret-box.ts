import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { HubpoError } from '@hubpo/core';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/**
 * AES-256-GCM over strings, sealed as `base64(iv | tag | ciphertext)` (12-byte IV, 16-byte tag),
 * the format ADR 0006 documents for both uses:
 * - at rest (`HUBPO_SECRET_KEY`): a random IV per seal, and associated data binding the ciphertext
 *   to its row, so a ciphertext copied to another row does not open;
 * - for the data plane (`HUBPO_DATAPLANE_KEY`): `sealStable`, whose IV is derived from the
 *   plaintext and its context (HMAC-SHA256 under a key derived from the box key), so the same
 *   credential seals to the same bytes and snapshots do not change on every translation. A
 *   (key, IV) pair is never reused for two plaintexts unless HMAC-SHA256 collides in 96 bits;
 *   what it reveals is only that two targets hold the same credential.
 */
export class SecretBox {
  readonly #key: Buffer;
  readonly #ivKey: Buffer;
  readonly #macKey: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new HubpoError('BAD_REQUEST', 'an AES-256 key is 32 bytes');
    this.#key = key;
    this.#ivKey = createHmac('sha256', key).update('hubpo/secret-box/iv/v1').digest();
    this.#macKey = createHmac('sha256', key).update('hubpo/secret-box/digest/v1').digest();
  }

  /** Seals with a random IV; `aad` must be given again to open. */
  seal(plaintext: string, aad = ''): string {
    return this.#seal(randomBytes(IV_BYTES), plaintext, aad);
  }

  /** Seals deterministically (see the class comment); no associated data. */
  sealStable(plaintext: string, context: string): string {
    const iv = createHmac('sha256', this.#ivKey)
      .update(context)
      .update('\0')
      .update(plaintext)
      .digest()
      .subarray(0, IV_BYTES);
    return this.#seal(iv, plaintext, '');
  }

  /** Opens a sealed value; throws when it was sealed under another key or `aad`, or was altered. */
  open(sealed: string, aad = ''): string {
    const raw = Buffer.from(sealed, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new HubpoError('BAD_REQUEST', 'sealed value too short');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  }

  /** A keyed digest (hex HMAC-SHA256) to tell whether a secret changed without opening anything. */
  digest(plaintext: string, context: string): string {
    return createHmac('sha256', this.#macKey).update(context).update('\0').update(plaintext).digest('hex');
  }

  #seal(iv: Buffer, plaintext: string, aad: string): string {
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }
}

/**
 * Decodes a base64 AES-256 key from the environment. Throws a BAD_REQUEST HubpoError naming the
 * variable (never echoing the value) unless it is exactly 32 bytes.
 */
export function parseKey(variable: string, value: string): Buffer {
  const trimmed = value.trim();
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES) {
    throw new HubpoError(
      'BAD_REQUEST',
      `${variable} must be 32 random bytes in base64 (for example \`openssl rand -base64 32\`)`,
    );
  }
  return key;
}
