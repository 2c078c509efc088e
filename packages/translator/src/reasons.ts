/** Condition reasons the translator writes; stable, users and tools match on them. */
export const Reasons = Object.freeze({
  Accepted: 'Accepted',
  ResolvedRefs: 'ResolvedRefs',
  /** Accepted=False: a regex the gateway's engine (JS RegExp) cannot compile. */
  InvalidRegex: 'InvalidRegex',
  /** Accepted=False: a backend URL the gateway cannot use (credentials, query or fragment). */
  InvalidBackend: 'InvalidBackend',
  /** Accepted=False: backendRequest timeout longer than the request timeout. */
  InvalidTimeouts: 'InvalidTimeouts',
  /** Accepted=False: an AIModel target endpoint the gateway cannot use. */
  InvalidEndpoint: 'InvalidEndpoint',
  /** Accepted=False: another AIModel placed in the cluster, older, serves the same name. */
  Conflict: 'Conflict',
  /** Accepted=False: an API key hash an older Consumer already uses. */
  DuplicateKey: 'DuplicateKey',
  /** ResolvedRefs=False: an AIModel name that no AIModel in the cluster serves. */
  ModelNotFound: 'ModelNotFound',
  /** ResolvedRefs=False: a Route name not in the cluster's snapshot. */
  RouteNotFound: 'RouteNotFound',
  /** ResolvedRefs=False: a Policy target not in the cluster's snapshot. */
  TargetNotFound: 'TargetNotFound',
  /** ResolvedRefs=False: a credential (API key hash, provider secret) the control plane could not supply. */
  SecretNotFound: 'SecretNotFound',
});
export type Reason = (typeof Reasons)[keyof typeof Reasons];
