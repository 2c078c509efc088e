/**
 * The one error type of Hubpo. Every failure a client, an operator or a log reader can see
 * carries a stable `code` (HUBPO_ERR_*), the HTTP status it maps to and whether retrying the
 * same call can succeed. Renderers (OpenAI, Anthropic, problem+json) live with each API and only
 * read these fields; `cause` is for logs and is never rendered to clients.
 */
export const ErrorCodes = Object.freeze({
  // generic
  INTERNAL: { code: 'HUBPO_ERR_INTERNAL', status: 500, retryable: true },
  BAD_REQUEST: { code: 'HUBPO_ERR_BAD_REQUEST', status: 400, retryable: false },
  PAYLOAD_TOO_LARGE: { code: 'HUBPO_ERR_PAYLOAD_TOO_LARGE', status: 413, retryable: false },
  URI_TOO_LONG: { code: 'HUBPO_ERR_URI_TOO_LONG', status: 414, retryable: false },
  HEADERS_TOO_LARGE: { code: 'HUBPO_ERR_HEADERS_TOO_LARGE', status: 431, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { code: 'HUBPO_ERR_UNSUPPORTED_MEDIA_TYPE', status: 415, retryable: false },
  VALIDATION: { code: 'HUBPO_ERR_VALIDATION', status: 422, retryable: false },
  NOT_FOUND: { code: 'HUBPO_ERR_NOT_FOUND', status: 404, retryable: false },
  METHOD_NOT_ALLOWED: { code: 'HUBPO_ERR_METHOD_NOT_ALLOWED', status: 405, retryable: false },
  CONFLICT: { code: 'HUBPO_ERR_CONFLICT', status: 409, retryable: false },
  ALREADY_EXISTS: { code: 'HUBPO_ERR_ALREADY_EXISTS', status: 409, retryable: false },
  PRECONDITION_FAILED: { code: 'HUBPO_ERR_PRECONDITION_FAILED', status: 412, retryable: false },
  PRECONDITION_REQUIRED: { code: 'HUBPO_ERR_PRECONDITION_REQUIRED', status: 428, retryable: false },
  UNAUTHENTICATED: { code: 'HUBPO_ERR_UNAUTHENTICATED', status: 401, retryable: false },
  FORBIDDEN: { code: 'HUBPO_ERR_FORBIDDEN', status: 403, retryable: false },
  RATE_LIMITED: { code: 'HUBPO_ERR_RATE_LIMITED', status: 429, retryable: true },
  UNAVAILABLE: { code: 'HUBPO_ERR_UNAVAILABLE', status: 503, retryable: true },
  // data plane
  ROUTE_NOT_FOUND: { code: 'HUBPO_ERR_ROUTE_NOT_FOUND', status: 404, retryable: false },
  NOT_READY: { code: 'HUBPO_ERR_NOT_READY', status: 503, retryable: true },
  NO_HEALTHY_UPSTREAM: { code: 'HUBPO_ERR_NO_HEALTHY_UPSTREAM', status: 503, retryable: true },
  UPSTREAM_CONNECT: { code: 'HUBPO_ERR_UPSTREAM_CONNECT', status: 502, retryable: true },
  UPSTREAM_RESET: { code: 'HUBPO_ERR_UPSTREAM_RESET', status: 502, retryable: true },
  UPSTREAM_TIMEOUT: { code: 'HUBPO_ERR_UPSTREAM_TIMEOUT', status: 504, retryable: true },
  REQUEST_TIMEOUT: { code: 'HUBPO_ERR_REQUEST_TIMEOUT', status: 408, retryable: true },
  // AI gateway
  MODEL_NOT_FOUND: { code: 'HUBPO_ERR_MODEL_NOT_FOUND', status: 404, retryable: false },
  MODEL_NOT_ALLOWED: { code: 'HUBPO_ERR_MODEL_NOT_ALLOWED', status: 403, retryable: false },
  UNSUPPORTED_FEATURE: { code: 'HUBPO_ERR_UNSUPPORTED_FEATURE', status: 400, retryable: false },
  PROVIDER_ERROR: { code: 'HUBPO_ERR_PROVIDER', status: 502, retryable: true },
  PROVIDER_RATE_LIMITED: { code: 'HUBPO_ERR_PROVIDER_RATE_LIMITED', status: 429, retryable: true },
  PROVIDER_AUTH: { code: 'HUBPO_ERR_PROVIDER_AUTH', status: 502, retryable: false },
  PROVIDER_TIMEOUT: { code: 'HUBPO_ERR_PROVIDER_TIMEOUT', status: 504, retryable: true },
  CIRCUIT_OPEN: { code: 'HUBPO_ERR_CIRCUIT_OPEN', status: 503, retryable: true },
  CONTEXT_LENGTH_EXCEEDED: { code: 'HUBPO_ERR_CONTEXT_LENGTH_EXCEEDED', status: 400, retryable: false },
  // config pipeline
  TRANSLATION: { code: 'HUBPO_ERR_TRANSLATION', status: 422, retryable: false },
  SNAPSHOT_INVALID: { code: 'HUBPO_ERR_SNAPSHOT_INVALID', status: 500, retryable: false },
  SNAPSHOT_CORRUPT: { code: 'HUBPO_ERR_SNAPSHOT_CORRUPT', status: 500, retryable: false },
});

export type ErrorKind = keyof typeof ErrorCodes;
export type ErrorCode = (typeof ErrorCodes)[ErrorKind]['code'];

/** One problem in a request or resource, located by a JSON pointer (`/spec/rules/0/matches`). */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export interface HubpoErrorOptions {
  readonly cause?: unknown;
  /** Field-level problems, rendered to clients (they name what is wrong and where). */
  readonly issues?: readonly FieldIssue[];
  /** Overrides the default status of the kind (e.g. passing an upstream 4xx through). */
  readonly status?: number;
  readonly retryable?: boolean;
  /** Extra safe-to-render details (never secrets, never internal addresses). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export class HubpoError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly issues: readonly FieldIssue[];
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(kind: ErrorKind, message: string, options: HubpoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const def = ErrorCodes[kind];
    this.name = 'HubpoError';
    this.kind = kind;
    this.code = def.code;
    this.status = options.status ?? def.status;
    this.retryable = options.retryable ?? def.retryable;
    this.issues = Object.freeze([...(options.issues ?? [])]);
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  static is(value: unknown, kind?: ErrorKind): value is HubpoError {
    return value instanceof HubpoError && (kind === undefined || value.kind === kind);
  }

  /** Wraps anything thrown into a HubpoError; unknown errors become INTERNAL with the cause kept. */
  static from(value: unknown, fallback: ErrorKind = 'INTERNAL'): HubpoError {
    if (value instanceof HubpoError) return value;
    const message = fallback === 'INTERNAL' ? 'internal error' : errorMessage(value);
    return new HubpoError(fallback, message, { cause: value });
  }
}

export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
