import type { JsonObject } from '../../shared/json-value.js';
import type { ModelInfo } from '../model-info.js';

/** `GET /v1/models` in OpenAI's list shape. */
export function renderOpenAIModels(models: readonly ModelInfo[]): JsonObject {
  return {
    object: 'list',
    data: models.map((m) => ({
      id: m.id,
      object: 'model',
      created: m.created,
      owned_by: m.ownedBy ?? 'hubpo',
    })),
  };
}
