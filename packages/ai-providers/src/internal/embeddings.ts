import type { Extensions } from './chat-request.js';
import type { Usage } from './usage.js';

/** One input to embed: text, or pre-tokenized ids (OpenAI only). */
export type EmbeddingInput = string | readonly number[];

export interface EmbeddingsRequest {
  readonly model: string;
  readonly input: readonly EmbeddingInput[];
  /** Requested output dimensionality, when the model supports shortening. */
  readonly dimensions?: number;
  /** How the client wants vectors rendered; upstream calls always ask for floats. */
  readonly encodingFormat: 'float' | 'base64';
  readonly user?: string;
  /**
   * Retrieval role of the inputs (Cohere `input_type`, Gemini `taskType`): `query` or `document`
   * map to each provider's names; anything else is passed as given.
   */
  readonly inputType?: string;
  readonly extensions: Extensions;
}

export interface Embedding {
  readonly index: number;
  readonly vector: readonly number[];
}

export interface EmbeddingsResponse {
  readonly model: string;
  readonly data: readonly Embedding[];
  /** Only `inputTokens` is meaningful for embeddings. */
  readonly usage: Usage;
}
