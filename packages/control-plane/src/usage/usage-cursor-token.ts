import { HubpoError, contentHash } from '@hubpo/core';
import type { UsageCursor, UsageFilter } from './usage-store.js';

/**
 * The opaque `continue` token of `GET /api/v1/usage`: the (started_at, request_id) of the last
 * record returned, bound to the filters of the query it came from (keyset pagination: records
 * stored while paging never shift a page).
 */

interface TokenBody {
  readonly v: 1;
  readonly t: number;
  readonly id: string;
  /** Hash of the filters the token belongs to. */
  readonly q: string;
}

export function usageQueryFingerprint(filter: UsageFilter): string {
  return contentHash([
    filter.consumer ?? null,
    filter.model ?? null,
    filter.target ?? null,
    filter.provider ?? null,
    filter.cluster ?? null,
    filter.since?.getTime() ?? null,
    filter.until?.getTime() ?? null,
  ]);
}

export function encodeUsageCursor(cursor: UsageCursor, filter: UsageFilter): string {
  const body: TokenBody = {
    v: 1,
    t: cursor.startedAtUnixMs,
    id: cursor.requestId,
    q: usageQueryFingerprint(filter),
  };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** A malformed token, or one from a query with other filters, is a 400 naming `continue`. */
export function decodeUsageCursor(token: string, filter: UsageFilter): UsageCursor {
  const invalid = (): HubpoError =>
    new HubpoError('BAD_REQUEST', 'the continue token is invalid or belongs to another query', {
      issues: [
        { path: 'continue', message: 'pass the continue value of the previous page with the same filters' },
      ],
    });
  if (token.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const b = body as Partial<TokenBody> | null;
  if (
    typeof b !== 'object' ||
    b === null ||
    b.v !== 1 ||
    typeof b.t !== 'number' ||
    !Number.isSafeInteger(b.t) ||
    typeof b.id !== 'string' ||
    b.q !== usageQueryFingerprint(filter)
  ) {
    throw invalid();
  }
  return { startedAtUnixMs: b.t, requestId: b.id };
}
