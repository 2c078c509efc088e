import { createCipheriv, randomBytes } from 'node:crypto';
import { credentialsFor, unsealCredential } from './unseal-credential.js';

function seal(plaintext: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

describe('unsealCredential', () => {
  const key = randomBytes(32);

  it('opens what the control plane sealed (AES-256-GCM, base64 of iv|tag|ciphertext)', () => {
    expect(unsealCredential(seal('sk-test-123', key), key)).toBe('sk-test-123');
  });

  it('refuses another key or an altered value without echoing anything secret', () => {
    const sealed = seal('sk-test-123', key);
    expect(() => unsealCredential(sealed, randomBytes(32))).toThrow(/does not open/);
    const raw = Buffer.from(sealed, 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(() => unsealCredential(raw.toString('base64'), key)).toThrow(/does not open/);
    try {
      unsealCredential(sealed, randomBytes(32));
    } catch (err) {
      expect(String(err)).not.toContain('sk-test');
    }
    expect(() => unsealCredential('AAAA', key)).toThrow(/too short/);
  });
});

describe('credentialsFor', () => {
  it('a plain value is an API key (a bearer token for vertex-ai)', () => {
    expect(credentialsFor('openai', ' sk-1 ')).toEqual({ kind: 'api-key', apiKey: 'sk-1' });
    expect(credentialsFor('vertex-ai', 'ya29.x')).toEqual({ kind: 'bearer', token: 'ya29.x' });
  });

  it('JSON values name AWS keys, an API key or a token', () => {
    expect(
      credentialsFor('bedrock', '{"accessKeyId":"AK","secretAccessKey":"SK","sessionToken":"T"}'),
    ).toEqual({
      kind: 'aws',
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      sessionToken: 'T',
    });
    expect(credentialsFor('anthropic', '{"token":"t"}')).toEqual({ kind: 'bearer', token: 't' });
    expect(credentialsFor('anthropic', '{"apiKey":"k"}')).toEqual({ kind: 'api-key', apiKey: 'k' });
    expect(() => credentialsFor('bedrock', '{"nope":1}')).toThrow(/accessKeyId/);
    expect(() => credentialsFor('openai', '')).toThrow(/empty/);
  });
});
