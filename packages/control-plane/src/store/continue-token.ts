import { HubpoError, contentHash } from '@hubpo/core';

/**
 * The opaque `continue` cursor of a list: the last (namespace, name) returned, bound to the query
 * it came from. Listing resumes strictly after that key (keyset pagination), so objects created or
 * deleted meanwhile never shift a page: every object that exists for the whole listing is returned
 * exactly once.
 */
export interface ContinuePosition {
  readonly namespace: string;
  readonly name: string;
}

interface TokenBody {
  readonly v: 1;
  readonly ns: string;
  readonly n: string;
  /** Hash of the query (kind, namespace scope, selector) the token belongs to. */
  readonly q: string;
}

/** Identifies a query so a token cannot be replayed against another one. */
export function queryFingerprint(parts: readonly string[]): string {
  return contentHash(parts);
}

export function encodeContinueToken(position: ContinuePosition, fingerprint: string): string {
  const body: TokenBody = { v: 1, ns: position.namespace, n: position.name, q: fingerprint };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** Decodes a token; a malformed one, or one from another query, is a 400 naming `continue`. */
export function decodeContinueToken(token: string, fingerprint: string): ContinuePosition {
  const invalid = () =>
    new HubpoError('BAD_REQUEST', 'the continue token is invalid or belongs to another query', {
      issues: [{ path: 'continue', message: 'pass the continue value of the previous page unchanged' }],
    });
  if (token.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!isTokenBody(body) || body.q !== fingerprint) throw invalid();
  return { namespace: body.ns, name: body.n };
}

function isTokenBody(value: unknown): value is TokenBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v['v'] === 1 && typeof v['ns'] === 'string' && typeof v['n'] === 'string' && typeof v['q'] === 'string'
  );
}
