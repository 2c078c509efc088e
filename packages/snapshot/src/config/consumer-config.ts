export interface ConsumerConfig {
  readonly kind: 'consumer';
  readonly id: string;
  readonly generation: number;
  /** Only hashes travel: a gateway hashes the presented key and looks it up. */
  readonly apiKeys: readonly { readonly name: string; readonly sha256: string }[];
  /** AIModel names; null means all. */
  readonly allowedModels: readonly string[] | null;
  /** Route ids (`namespace/name`); null means all. */
  readonly allowedRoutes: readonly string[] | null;
}
