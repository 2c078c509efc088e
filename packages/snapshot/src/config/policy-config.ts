export type PolicyTargetKind = 'route' | 'aimodel' | 'consumer';

export interface PolicyTarget {
  readonly kind: PolicyTargetKind;
  /** Id of the target (`namespace/name`). */
  readonly id: string;
}

export interface ApiKeyAuthConfig {
  /** Lowercase header; null means `authorization: Bearer <key>` then `x-api-key`. */
  readonly header: string | null;
  /** Requests without a key pass as anonymous; a wrong key is still rejected. */
  readonly optional: boolean;
}

export interface RateLimitConfig {
  /** Token bucket: `requests` tokens refilled evenly over `windowMs`, capacity requests + burst. */
  readonly requests: number;
  readonly windowMs: number;
  readonly burst: number;
  readonly key: 'consumer' | 'clientIp';
}

export interface PolicyConfig {
  readonly kind: 'policy';
  readonly id: string;
  readonly generation: number;
  /** Only targets that exist in the snapshot. */
  readonly targets: readonly PolicyTarget[];
  readonly authentication: { readonly apiKey: ApiKeyAuthConfig | null } | null;
  readonly rateLimit: RateLimitConfig | null;
}
