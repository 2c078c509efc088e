import { HubpoError } from '@hubpo/core';
import type { Embedding, EmbeddingsRequest, EmbeddingsResponse } from '../../internal/embeddings.js';
import { makeUsage } from '../../internal/usage.js';
import { estimateTokens } from '../../estimate-tokens.js';
import type { ProviderId, TargetConfig } from '../../provider-adapter.js';
import type { JsonObject } from '../../shared/json-value.js';
import { arrayAt, isObject, numberAt, objectAt, stringAt } from '../../shared/json-value.js';

/** OpenAI-dialect `/embeddings` body. Upstream always returns floats; base64 is rendered by the ingress. */
export function buildOpenAIEmbeddingsBody(
  req: EmbeddingsRequest,
  target: TargetConfig,
  options: {
    readonly sendModel: boolean;
    readonly dimensionsField: string;
    readonly family: 'openai' | 'mistral';
  },
): JsonObject {
  const body: JsonObject = { ...(req.extensions[options.family] ?? {}) };
  if (options.sendModel) body['model'] = target.model;
  body['input'] = req.input;
  if (options.family === 'openai') body['encoding_format'] = 'float';
  if (req.dimensions !== undefined) body[options.dimensionsField] = req.dimensions;
  if (req.user !== undefined && options.family === 'openai') body['user'] = req.user;
  if (target.extraBody !== undefined) Object.assign(body, target.extraBody);
  return body;
}

export function parseOpenAIEmbeddingsResponse(
  json: unknown,
  provider: ProviderId,
  request: EmbeddingsRequest | undefined,
): EmbeddingsResponse {
  if (!isObject(json))
    throw new HubpoError('PROVIDER_ERROR', 'upstream response is not a JSON object', {
      details: { provider },
    });
  const data: Embedding[] = [];
  const rows = arrayAt(json, 'data') ?? [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const vector = arrayAt(row, 'embedding');
    if (vector === undefined) {
      throw new HubpoError('PROVIDER_ERROR', 'upstream embedding is not a float array', {
        details: { provider },
      });
    }
    data.push({ index: numberAt(row, 'index') ?? i, vector: vector as readonly number[] });
  }
  const inputTokens = numberAt(objectAt(json, 'usage'), 'prompt_tokens');
  const usage =
    inputTokens !== undefined
      ? makeUsage({ inputTokens })
      : makeUsage({ inputTokens: estimateInputTokens(request), estimated: true });
  return { model: stringAt(json, 'model') ?? request?.model ?? '', data, usage };
}

export function estimateInputTokens(request: EmbeddingsRequest | undefined): number {
  if (request === undefined) return 0;
  let total = 0;
  for (const input of request.input)
    total += typeof input === 'string' ? estimateTokens(input) : input.length;
  return total;
}
