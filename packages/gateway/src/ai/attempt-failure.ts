import { HubpoError } from '@hubpo/core';
import { UpstreamFailure, classifyUpstreamError } from '../runtime/upstream-error.js';

/** What to do after a failed upstream attempt. */
export const FailureAction = Object.freeze({
  /** Try the same target again after a backoff, while `retry.attempts` allow; then the next. */
  RetrySame: 0,
  /** Move to the next target at once (a rate-limited, unreachable or misconfigured target). */
  NextTarget: 1,
  /** The request itself is at fault: answer the client, try nothing else. */
  Final: 2,
});
export type FailureAction = (typeof FailureAction)[keyof typeof FailureAction];

export interface AttemptFailure {
  /** What the client sees if this is the last failure. */
  readonly error: HubpoError;
  readonly action: FailureAction;
  /** Counts against the target's circuit breaker. */
  readonly countsAgainstTarget: boolean;
}

/** Why the gateway itself aborted an attempt. */
export const AttemptTimeout = Object.freeze({ FirstToken: 1, Request: 2 });
export type AttemptTimeout = (typeof AttemptTimeout)[keyof typeof AttemptTimeout];

const FIRST_TOKEN_TIMEOUT: AttemptFailure = Object.freeze({
  error: new HubpoError('PROVIDER_TIMEOUT', 'the provider sent no token within the first-token timeout'),
  action: FailureAction.NextTarget,
  countsAgainstTarget: true,
});
const REQUEST_TIMEOUT: AttemptFailure = Object.freeze({
  error: new HubpoError('PROVIDER_TIMEOUT', 'the provider did not answer within the request timeout'),
  action: FailureAction.NextTarget,
  countsAgainstTarget: true,
});
const CONNECT: AttemptFailure = Object.freeze({
  error: new HubpoError('UPSTREAM_CONNECT', 'the provider could not be reached'),
  action: FailureAction.NextTarget,
  countsAgainstTarget: true,
});
const RESET: AttemptFailure = Object.freeze({
  error: new HubpoError('UPSTREAM_RESET', 'the provider closed the connection before answering'),
  action: FailureAction.RetrySame,
  countsAgainstTarget: true,
});
const UNKNOWN: AttemptFailure = Object.freeze({
  error: new HubpoError('PROVIDER_ERROR', 'the provider call failed'),
  action: FailureAction.NextTarget,
  countsAgainstTarget: true,
});

/**
 * Classifies a failed attempt (ARCHITECTURE.md: fallback on 429, 5xx, timeouts and connection
 * errors). Provider errors arrive as the adapter mapped them (`parseError`, stream `error`
 * events, the mock's errors); transport errors as undici reports them.
 *
 * | failure | action | breaker |
 * |---|---|---|
 * | 5xx, 503/529 overload, 408/504 (`PROVIDER_ERROR`, `UNAVAILABLE`, `PROVIDER_TIMEOUT`), reset | retry same, then next | yes |
 * | 429 (`PROVIDER_RATE_LIMITED`, quota included) | next target | yes |
 * | 401/403 (`PROVIDER_AUTH`), 404 (`MODEL_NOT_FOUND`): the target's configuration | next target | yes |
 * | connect failure, the gateway's first-token or request timeout | next target | yes |
 * | 400/413/422 and everything the client caused | answer the client | no |
 */
export function classifyAttemptFailure(error: unknown, timeout: AttemptTimeout | null): AttemptFailure {
  if (timeout === AttemptTimeout.FirstToken) return FIRST_TOKEN_TIMEOUT;
  if (timeout === AttemptTimeout.Request) return REQUEST_TIMEOUT;
  if (error instanceof HubpoError) return providerFailure(error);
  switch (classifyUpstreamError(error)) {
    case UpstreamFailure.Connect:
    case UpstreamFailure.ConnectTimeout:
      return CONNECT;
    case UpstreamFailure.Reset:
      return RESET;
    case UpstreamFailure.Timeout:
      return REQUEST_TIMEOUT;
    default:
      return UNKNOWN;
  }
}

function providerFailure(error: HubpoError): AttemptFailure {
  switch (error.kind) {
    case 'PROVIDER_ERROR':
    case 'UNAVAILABLE':
    case 'PROVIDER_TIMEOUT':
    case 'UPSTREAM_RESET':
    case 'INTERNAL':
      return { error, action: FailureAction.RetrySame, countsAgainstTarget: true };
    case 'PROVIDER_RATE_LIMITED':
    case 'PROVIDER_AUTH':
    case 'MODEL_NOT_FOUND':
    case 'UPSTREAM_CONNECT':
    case 'UPSTREAM_TIMEOUT':
      return { error, action: FailureAction.NextTarget, countsAgainstTarget: true };
    default:
      return { error, action: FailureAction.Final, countsAgainstTarget: false };
  }
}
