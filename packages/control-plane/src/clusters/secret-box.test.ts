import { createDecipheriv, randomBytes } from 'node:crypto';
import { SecretBox, parseKey } from './secret-box.js';

describe('SecretBox', () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);

  it('seals as base64(iv | tag | ciphertext), which plain AES-256-GCM opens', () => {
    const raw = Buffer.from(box.sealStable('sk-provider-key', 'ns/chat/0'), 'base64');
    expect(raw.length).toBe(12 + 16 + 'sk-provider-key'.length);
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    expect(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString()).toBe(
      'sk-provider-key',
    );
  });

  it('seals the same plaintext and context to the same bytes, and anything else differently', () => {
    const a = box.sealStable('secret', 'ns/chat/0');
    expect(box.sealStable('secret', 'ns/chat/0')).toBe(a);
    expect(box.sealStable('secret', 'ns/chat/1')).not.toBe(a);
    expect(box.sealStable('secret2', 'ns/chat/0')).not.toBe(a);
    expect(new SecretBox(randomBytes(32)).sealStable('secret', 'ns/chat/0')).not.toBe(a);
  });

  it('uses a fresh IV for each at-rest seal and opens only with the same associated data and key', () => {
    const sealed = box.seal('secret', 'AIModel/ns/chat/0');
    expect(box.seal('secret', 'AIModel/ns/chat/0')).not.toBe(sealed);
    expect(box.open(sealed, 'AIModel/ns/chat/0')).toBe('secret');
    expect(() => box.open(sealed, 'AIModel/ns/other/0')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'AIModel/ns/chat/0')).toThrow();
    const tampered = Buffer.from(sealed, 'base64');
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 1, tampered.length - 1);
    expect(() => box.open(tampered.toString('base64'), 'AIModel/ns/chat/0')).toThrow();
  });

  it('gives a keyed digest that changes with the value and the key', () => {
    expect(box.digest('a', 'c')).toBe(box.digest('a', 'c'));
    expect(box.digest('b', 'c')).not.toBe(box.digest('a', 'c'));
    expect(new SecretBox(randomBytes(32)).digest('a', 'c')).not.toBe(box.digest('a', 'c'));
  });
});

describe('parseKey', () => {
  it('takes 32 bytes of base64 and names the variable otherwise, without echoing the value', () => {
    const key = randomBytes(32);
    expect(parseKey('HUBPO_SECRET_KEY', key.toString('base64'))).toEqual(key);
    expect(() => parseKey('HUBPO_SECRET_KEY', 'c2hvcnQ=')).toThrow(
      /HUBPO_SECRET_KEY must be 32 random bytes/,
    );
    expect(() => parseKey('HUBPO_DATAPLANE_KEY', 'not base64!')).toThrow(/^((?!not base64).)*$/);
  });
});
