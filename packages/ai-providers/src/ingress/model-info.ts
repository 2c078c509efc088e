/** A model the gateway serves, for `/v1/models` listings. */
export interface ModelInfo {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly ownedBy?: string;
  readonly displayName?: string;
}
