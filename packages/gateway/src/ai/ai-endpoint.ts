/** The AI APIs served under an AI rule. */
export const AIEndpoint = Object.freeze({
  /** OpenAI `POST /v1/chat/completions`. */
  ChatCompletions: 0,
  /** OpenAI `POST /v1/embeddings`. */
  Embeddings: 1,
  /** `GET /v1/models` (OpenAI list, or Anthropic's when the client sends `anthropic-version`). */
  Models: 2,
  /** `GET /v1/models/{id}`. */
  Model: 3,
  /** Anthropic `POST /v1/messages`. */
  Messages: 4,
  /** Anthropic `POST /v1/messages/count_tokens`. */
  CountTokens: 5,
});
export type AIEndpoint = (typeof AIEndpoint)[keyof typeof AIEndpoint];

/** The client API whose shapes (bodies, errors, streams) an endpoint speaks. */
export type IngressFormat = 'openai' | 'anthropic';

const PATHS: ReadonlyMap<string, AIEndpoint> = new Map([
  ['/v1/chat/completions', AIEndpoint.ChatCompletions],
  ['/v1/embeddings', AIEndpoint.Embeddings],
  ['/v1/models', AIEndpoint.Models],
  ['/v1/messages', AIEndpoint.Messages],
  ['/v1/messages/count_tokens', AIEndpoint.CountTokens],
  // Clients whose base URL already ends in /v1 (`OPENAI_BASE_URL=https://gw/llm/v1`) send these
  // under a rule that matched `/llm/v1`; clients configured with the bare rule prefix send the
  // `/v1` ones.
  ['/chat/completions', AIEndpoint.ChatCompletions],
  ['/embeddings', AIEndpoint.Embeddings],
  ['/models', AIEndpoint.Models],
  ['/messages', AIEndpoint.Messages],
  ['/messages/count_tokens', AIEndpoint.CountTokens],
]);

export interface ResolvedEndpoint {
  readonly endpoint: AIEndpoint;
  /** `/v1/models/{id}` only: the decoded id. */
  readonly modelId: string;
}

/**
 * The endpoint a path (relative to the AI rule's match) names, or null. One map probe; model
 * ids in `/v1/models/{id}` may contain slashes.
 */
export function resolveEndpoint(path: string): ResolvedEndpoint | null {
  const endpoint = PATHS.get(path);
  if (endpoint !== undefined) return { endpoint, modelId: '' };
  const at = path.startsWith('/v1/models/') ? 11 : path.startsWith('/models/') ? 8 : -1;
  if (at < 0 || at === path.length) return null;
  let modelId: string;
  try {
    modelId = decodeURIComponent(path.slice(at));
  } catch {
    return null;
  }
  return { endpoint: AIEndpoint.Model, modelId };
}

/** The method an endpoint takes. */
export function endpointMethod(endpoint: AIEndpoint): 'GET' | 'POST' {
  return endpoint === AIEndpoint.Models || endpoint === AIEndpoint.Model ? 'GET' : 'POST';
}

/**
 * The format to answer in: fixed by the endpoint, except model lists and paths that name no
 * endpoint, which follow the client (`anthropic-version` is sent by every Anthropic SDK).
 */
export function formatOf(endpoint: AIEndpoint | null, anthropicVersion: unknown): IngressFormat {
  if (endpoint === AIEndpoint.Messages || endpoint === AIEndpoint.CountTokens) return 'anthropic';
  if (endpoint === AIEndpoint.ChatCompletions || endpoint === AIEndpoint.Embeddings) return 'openai';
  return anthropicVersion === undefined ? 'openai' : 'anthropic';
}
