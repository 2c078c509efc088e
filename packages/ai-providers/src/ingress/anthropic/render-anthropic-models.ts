import type { JsonObject } from '../../shared/json-value.js';
import type { ModelInfo } from '../model-info.js';

/** `GET /v1/models` in Anthropic's paginated list shape (one page). */
export function renderAnthropicModels(models: readonly ModelInfo[]): JsonObject {
  return {
    data: models.map((m) => ({
      type: 'model',
      id: m.id,
      display_name: m.displayName ?? m.id,
      created_at: new Date(m.created * 1000).toISOString(),
    })),
    has_more: false,
    first_id: models[0]?.id ?? null,
    last_id: models[models.length - 1]?.id ?? null,
  };
}

/** `POST /v1/messages/count_tokens` response. */
export function renderAnthropicCountTokens(inputTokens: number): JsonObject {
  return { input_tokens: inputTokens };
}
