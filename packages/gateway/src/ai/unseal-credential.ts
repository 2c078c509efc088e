import { createDecipheriv } from 'node:crypto';
import type { Credentials } from '@hubpo/ai-providers';
import { HubpoError } from '@hubpo/core';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/**
 * Opens a credential the control plane sealed for the data plane (`AITargetConfig.credential`):
 * AES-256-GCM, `base64(iv | tag | ciphertext)`, no associated data, under `HUBPO_DATAPLANE_KEY`
 * (ADR 0006). Throws `HubpoError('PROVIDER_AUTH')` with a message that never includes the value.
 * Called at snapshot compile only; the plaintext stays in memory and is never logged.
 */
export function unsealCredential(sealed: string, key: Buffer): string {
  if (key.length !== KEY_BYTES) throw new HubpoError('PROVIDER_AUTH', 'the data-plane key is not 32 bytes');
  const raw = Buffer.from(sealed, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new HubpoError('PROVIDER_AUTH', 'sealed credential too short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.alloc(0));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new HubpoError(
      'PROVIDER_AUTH',
      'sealed credential does not open with this data-plane key (wrong key or altered)',
    );
  }
}

/**
 * What an opened credential means for a provider. A Secret value is either the provider key
 * itself (the usual case) or a JSON object:
 * - `{"accessKeyId": ..., "secretAccessKey": ..., "sessionToken"?: ...}`: AWS SigV4 (Bedrock);
 * - `{"apiKey": ...}` or `{"token": ...}`: an API key or a bearer token, explicitly.
 * A plain string is an API key, except for `vertex-ai`, which takes an OAuth access token.
 */
export function credentialsFor(provider: string, plaintext: string): Credentials {
  const text = plaintext.trim();
  if (text.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new HubpoError('PROVIDER_AUTH', 'the credential looks like JSON but does not parse');
    }
    const obj = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    const { accessKeyId, secretAccessKey, sessionToken, apiKey, token } = obj;
    if (typeof accessKeyId === 'string' && typeof secretAccessKey === 'string') {
      return typeof sessionToken === 'string'
        ? { kind: 'aws', accessKeyId, secretAccessKey, sessionToken }
        : { kind: 'aws', accessKeyId, secretAccessKey };
    }
    if (typeof apiKey === 'string') return { kind: 'api-key', apiKey };
    if (typeof token === 'string') return { kind: 'bearer', token };
    throw new HubpoError(
      'PROVIDER_AUTH',
      'a JSON credential needs accessKeyId and secretAccessKey, apiKey, or token',
    );
  }
  if (text === '') throw new HubpoError('PROVIDER_AUTH', 'the credential is empty');
  return provider === 'vertex-ai' ? { kind: 'bearer', token: text } : { kind: 'api-key', apiKey: text };
}
