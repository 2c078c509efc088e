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

export type RedactionDetectorName = 'email' | 'phone' | 'creditCard' | 'apiKey' | 'ipAddress';

/** A custom redaction pattern, checked by the translator (compiles, bounded, no nested repetition). */
export interface RedactionPatternConfig {
  readonly name: string;
  /** JavaScript regex source, compiled by the gateway with the `g` flag. */
  readonly regex: string;
}

/** Prompt / completion logging; present only when at least one of the two is logged. */
export interface AILoggingConfig {
  readonly prompts: boolean;
  readonly completions: boolean;
  /** Built-in detectors, in a canonical order. */
  readonly redact: readonly RedactionDetectorName[];
  readonly patterns: readonly RedactionPatternConfig[];
  /** Longest logged text per field, in characters. */
  readonly maxChars: number;
}

/** Provider-key pass-through: the caller's key from `header` replaces the stored credential. */
export interface AICredentialsConfig {
  readonly passThrough: boolean;
  /** Lowercase header name. */
  readonly header: string;
  /** Providers whose targets take the caller's key; null: every target. */
  readonly providers: readonly string[] | null;
}

export interface PolicyConfig {
  readonly kind: 'policy';
  readonly id: string;
  readonly generation: number;
  /** Only targets that exist in the snapshot. */
  readonly targets: readonly PolicyTarget[];
  readonly authentication: { readonly apiKey: ApiKeyAuthConfig | null } | null;
  readonly rateLimit: RateLimitConfig | null;
  /** Absent on policies without AI logging (and in snapshots of older control planes). */
  readonly aiLogging?: AILoggingConfig;
  /** Absent on policies without AI credential rules. */
  readonly aiCredentials?: AICredentialsConfig;
}
