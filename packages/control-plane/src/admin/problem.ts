import { HubpoError } from '@hubpo/core';
import type { ErrorKind, FieldIssue } from '@hubpo/core';

/** RFC 9457 problem details, as every admin API error is rendered. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  /** Stable Hubpo error code (HUBPO_ERR_*). */
  readonly code: string;
  readonly detail: string;
  readonly instance?: string;
  readonly issues?: readonly FieldIssue[];
  readonly retryable: boolean;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Partial<Record<ErrorKind, string>> = {
  BAD_REQUEST: 'Bad request',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  VALIDATION: 'Invalid resource',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  CONFLICT: 'Conflict',
  ALREADY_EXISTS: 'Already exists',
  PRECONDITION_FAILED: 'Precondition failed',
  UNAUTHENTICATED: 'Unauthenticated',
  FORBIDDEN: 'Forbidden',
  UNAVAILABLE: 'Service unavailable',
  INTERNAL: 'Internal error',
};

/**
 * The one error renderer of the admin API. Anything that is not a HubpoError (a driver error, a
 * bug) becomes a 500 whose detail says nothing about internals; the cause only goes to the log.
 * 5xx details are fixed texts too, so a HubpoError wrapping an internal message cannot leak it.
 */
export function toProblem(error: unknown, instance?: string): Problem {
  const e = HubpoError.from(error);
  const serverSide = e.status >= 500;
  const detail = serverSide ? serverDetail(e) : e.message;
  return {
    type: `https://hubpo.io/problems/${e.kind.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[e.kind] ?? titleOf(e.kind),
    status: e.status,
    code: e.code,
    detail,
    ...(instance === undefined ? {} : { instance }),
    ...(e.issues.length === 0 || serverSide ? {} : { issues: e.issues }),
    retryable: e.retryable,
  };
}

function serverDetail(e: HubpoError): string {
  if (e.kind === 'UNAVAILABLE') return 'the control plane cannot serve this request right now; retry later';
  return 'the request failed on the server; it was logged';
}

function titleOf(kind: string): string {
  const words = kind.toLowerCase().split('_').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Maps errors thrown by body-parser (express.json) to Hubpo errors: its `type` field tells a
 * too-large body (413), an unsupported charset/encoding (415) and malformed JSON (400) apart.
 */
export function fromBodyParserError(error: unknown): HubpoError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  switch ((error as { type: unknown }).type) {
    case 'entity.too.large':
      return new HubpoError('PAYLOAD_TOO_LARGE', 'the request body is larger than 1 MiB', { cause: error });
    case 'entity.parse.failed':
      return new HubpoError('BAD_REQUEST', 'the request body is not valid JSON', { cause: error });
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new HubpoError(
        'UNSUPPORTED_MEDIA_TYPE',
        'send the body as UTF-8 JSON, identity or gzip encoded',
        { cause: error },
      );
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HubpoError('BAD_REQUEST', 'the request body could not be read', { cause: error });
    default:
      return undefined;
  }
}
