import type { UpstreamErrorKind } from './runtime-metrics.js';

/** How an upstream attempt failed, from undici's error codes (and the raw socket errno). */
export const UpstreamFailure = Object.freeze({
  /** Could not connect (refused, unreachable, DNS, pool closed): nothing reached the upstream. */
  Connect: 0,
  /** Connect timed out: nothing reached the upstream. */
  ConnectTimeout: 1,
  /** Connection reset or closed before a response. */
  Reset: 2,
  /** No response headers within the per-attempt timeout, or the body went idle. */
  Timeout: 3,
  /** undici refused the request as built (e.g. a header value node accepted and undici does not). */
  Invalid: 4,
  /** Anything else (the client body failed, a length mismatch...). */
  Other: 5,
});
export type UpstreamFailure = (typeof UpstreamFailure)[keyof typeof UpstreamFailure];

const BY_CODE: ReadonlyMap<string, UpstreamFailure> = new Map([
  ['ECONNREFUSED', UpstreamFailure.Connect],
  ['ENOTFOUND', UpstreamFailure.Connect],
  ['EAI_AGAIN', UpstreamFailure.Connect],
  ['EHOSTUNREACH', UpstreamFailure.Connect],
  ['ENETUNREACH', UpstreamFailure.Connect],
  ['EHOSTDOWN', UpstreamFailure.Connect],
  ['EADDRNOTAVAIL', UpstreamFailure.Connect],
  ['UND_ERR_CLOSED', UpstreamFailure.Connect],
  ['UND_ERR_DESTROYED', UpstreamFailure.Connect],
  ['UND_ERR_CONNECT_TIMEOUT', UpstreamFailure.ConnectTimeout],
  ['ECONNRESET', UpstreamFailure.Reset],
  ['EPIPE', UpstreamFailure.Reset],
  ['UND_ERR_SOCKET', UpstreamFailure.Reset],
  ['UND_ERR_HEADERS_TIMEOUT', UpstreamFailure.Timeout],
  ['UND_ERR_BODY_TIMEOUT', UpstreamFailure.Timeout],
  ['UND_ERR_INVALID_ARG', UpstreamFailure.Invalid],
]);

export function classifyUpstreamError(error: unknown): UpstreamFailure {
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === 'string' ? BY_CODE.get(code) : undefined) ?? UpstreamFailure.Other;
}

/** The `error.type` metric label of a failure that counts against the backend, else null. */
export function failureMetricKind(failure: UpstreamFailure): UpstreamErrorKind | null {
  switch (failure) {
    case UpstreamFailure.Connect:
      return 'connect';
    case UpstreamFailure.ConnectTimeout:
    case UpstreamFailure.Timeout:
      return 'timeout';
    case UpstreamFailure.Reset:
      return 'reset';
    default:
      return null;
  }
}
