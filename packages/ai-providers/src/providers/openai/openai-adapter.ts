import { defineCapabilities } from '../../capabilities.js';
import type { ProviderAdapter } from '../../provider-adapter.js';
import { bearerAuth, createOpenAIStyleAdapter, trimSlash } from './openai-style-adapter.js';

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/**
 * OpenAI Chat Completions (https://platform.openai.com/docs/api-reference/chat) and Embeddings.
 * `endpoint` overrides the base URL (default https://api.openai.com/v1).
 */
export const openaiAdapter: ProviderAdapter = createOpenAIStyleAdapter({
  id: 'openai',
  capabilities: defineCapabilities({
    tools: true,
    toolChoiceRequired: true,
    toolChoiceSpecific: true,
    parallelToolCalls: true,
    images: true,
    imageUrls: true,
    documents: true,
    jsonMode: true,
    jsonSchema: true,
    multipleChoices: true,
    logprobs: true,
    seed: true,
    topK: false,
    penalties: true,
    thinking: true,
    promptCaching: false,
    streaming: true,
    streamingUsage: true,
    embeddings: true,
    maxStopSequences: 4,
  }),
  dialect: Object.freeze({
    family: 'openai',
    maxTokensField: 'max_completion_tokens',
    sendModel: true,
    developerRole: true,
    seedField: 'seed',
    requiredToolChoice: 'required',
    reasoningEffort: true,
    topK: false,
    streamOptions: true,
    imageUrlString: false,
  }),
  chatUrl: (target) => `${trimSlash(target.endpoint ?? DEFAULT_BASE_URL)}/chat/completions`,
  embeddingsUrl: (target) => `${trimSlash(target.endpoint ?? DEFAULT_BASE_URL)}/embeddings`,
  authHeaders: (_target, ctx) => bearerAuth(ctx),
});
