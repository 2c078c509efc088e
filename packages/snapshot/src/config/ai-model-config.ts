export type AIStrategy = 'Fallback' | 'Weighted' | 'LeastLatency' | 'LowestCost';

export interface PricingConfig {
  /** USD per 1M tokens. */
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  readonly cachedInputPerMTok: number;
  readonly cacheWritePerMTok: number;
  /** RFC 3339, or null for "always"; a gateway uses the latest entry already in effect. */
  readonly effectiveFrom: string | null;
}

export interface AITargetConfig {
  readonly name: string;
  readonly provider: string;
  readonly model: string;
  readonly endpoint: string | null;
  readonly region: string | null;
  readonly apiVersion: string | null;
  readonly weight: number;
  readonly priority: number;
  /** Sorted by effectiveFrom; empty means unpriced (flagged, never $0). */
  readonly pricing: readonly PricingConfig[];
  /**
   * The credential sealed for the data plane (AES-256-GCM, base64 of iv|tag|ciphertext), or
   * null when the provider needs none.
   */
  readonly credential: string | null;
}

export interface AIModelConfig {
  readonly kind: 'aimodel';
  readonly id: string;
  readonly generation: number;
  /** The name clients send as `model`. */
  readonly name: string;
  readonly strategy: AIStrategy;
  readonly targets: readonly AITargetConfig[];
  readonly retry: { readonly attempts: number; readonly backoffMs: number };
  readonly timeouts: { readonly requestMs: number; readonly firstTokenMs: number };
  readonly limits: { readonly contextWindow: number | null; readonly maxOutputTokens: number | null };
  readonly unsupportedFields: 'Reject' | 'Drop';
}
