import { createHash } from 'node:crypto';
import { defineCapabilities } from '../../capabilities.js';
import type { ProviderAdapter } from '../../provider-adapter.js';
import { bearerAuth, createOpenAIStyleAdapter, trimSlash } from '../openai/openai-style-adapter.js';

const DEFAULT_BASE_URL = 'https://api.mistral.ai/v1';
const MISTRAL_TOOL_CALL_ID = /^[a-zA-Z0-9]{9}$/;
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * Mistral accepts only 9-character alphanumeric tool call ids. Ids from other providers
 * (`call_...`, `toolu_...`) are mapped deterministically, the same way in the assistant call and
 * in its tool result, so the pair still matches.
 */
export function mistralToolCallId(id: string): string {
  if (MISTRAL_TOOL_CALL_ID.test(id)) return id;
  const digest = createHash('sha256').update(id).digest();
  let out = '';
  for (let i = 0; i < 9; i++) out += ALPHANUMERIC[(digest[i] as number) % ALPHANUMERIC.length];
  return out;
}

/**
 * Mistral La Plateforme chat completions and embeddings (https://docs.mistral.ai/api/):
 * the OpenAI dialect with `random_seed`, `tool_choice: "any"`, and usage in the last stream chunk.
 */
export const mistralAdapter: ProviderAdapter = createOpenAIStyleAdapter({
  id: 'mistral',
  capabilities: defineCapabilities({
    tools: true,
    toolChoiceRequired: true,
    toolChoiceSpecific: true,
    parallelToolCalls: true,
    images: true,
    imageUrls: true,
    documents: false,
    jsonMode: true,
    jsonSchema: true,
    multipleChoices: true,
    logprobs: false,
    seed: true,
    topK: false,
    penalties: true,
    thinking: false,
    promptCaching: false,
    streaming: true,
    streamingUsage: true,
    embeddings: true,
    maxStopSequences: null,
  }),
  dialect: Object.freeze({
    family: 'mistral',
    maxTokensField: 'max_tokens',
    sendModel: true,
    developerRole: false,
    seedField: 'random_seed',
    requiredToolChoice: 'any',
    reasoningEffort: false,
    topK: false,
    streamOptions: false,
    imageUrlString: true,
    toolCallId: mistralToolCallId,
  }),
  chatUrl: (target) => `${trimSlash(target.endpoint ?? DEFAULT_BASE_URL)}/chat/completions`,
  embeddingsUrl: (target) => `${trimSlash(target.endpoint ?? DEFAULT_BASE_URL)}/embeddings`,
  embeddingsDimensionsField: 'output_dimension',
  authHeaders: (_target, ctx) => bearerAuth(ctx),
});
