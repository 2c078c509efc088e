import { hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyAuthConfig } from '@hubpo/snapshot';

/**
 * Hex SHA-256 of a presented key: what consumers' `apiKeys[].sha256` hold. The one-shot
 * `crypto.hash` (no Hash object per call) costs about a third of `createHash` on each request.
 */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive), or null. */
function bearerToken(value: string | undefined): string | null {
  if (value === undefined || value.length < 8) return null;
  if (value.charCodeAt(6) !== 0x20 || value.slice(0, 6).toLowerCase() !== 'bearer') return null;
  const token = value.slice(7).trim();
  return token === '' ? null : token;
}

function plainValue(value: string | string[] | undefined): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * API-key authentication of one route (from its policies): where the key is read and whether a
 * request without one passes as anonymous. A key is the configured header's value (the Bearer
 * token when that header is `authorization`), or by default `Authorization: Bearer <key>`, then
 * `x-api-key`.
 */
export class ApiKeyAuth {
  readonly header: string | null;
  readonly optional: boolean;
  /** `['www-authenticate', <challenge>]` for 401 answers (RFC 9110 §11.6.1). */
  readonly challenge: readonly string[];
  /**
   * Headers that can carry the gateway key. They are never forwarded upstream: the key is the
   * consumer's credential for the gateway, not for the service behind it.
   */
  readonly credentialHeaders: readonly string[];

  constructor(config: ApiKeyAuthConfig) {
    this.header = config.header;
    this.optional = config.optional;
    this.credentialHeaders = Object.freeze(
      config.header === null ? ['authorization', 'x-api-key'] : [config.header],
    );
    const scheme =
      config.header === null || config.header === 'authorization'
        ? 'Bearer realm="hubpo"'
        : `ApiKey realm="hubpo", header="${config.header}"`;
    this.challenge = Object.freeze(['www-authenticate', scheme]);
  }

  /** The presented key, or null when the request carries none. */
  extract(headers: IncomingHttpHeaders): string | null {
    const header = this.header;
    if (header === null) return bearerToken(headers.authorization) ?? plainValue(headers['x-api-key']);
    if (header === 'authorization') return bearerToken(headers.authorization);
    return plainValue(headers[header]);
  }
}
