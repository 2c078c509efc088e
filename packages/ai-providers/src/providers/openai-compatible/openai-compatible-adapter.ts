import { defineCapabilities } from '../../capabilities.js';
import type { ProviderAdapter, RequestContext, TargetConfig } from '../../provider-adapter.js';
import { requireTargetField } from '../../shared/require-target-field.js';
import { createOpenAIStyleAdapter, trimSlash } from '../openai/openai-style-adapter.js';

/**
 * The credential header of an OpenAI-compatible server: `Authorization: Bearer <key>` unless the
 * target names another header (`auth.header`) or scheme (`auth.scheme`, '' for the bare key).
 */
function compatibleAuth(target: TargetConfig, ctx: RequestContext): Record<string, string> {
  const c = ctx.credentials;
  const secret = c.kind === 'api-key' ? c.apiKey : c.kind === 'bearer' ? c.token : undefined;
  if (secret === undefined) return {};
  const header = (target.auth?.header ?? 'authorization').toLowerCase();
  const scheme = target.auth?.scheme ?? 'Bearer';
  return { [header]: scheme.length > 0 ? `${scheme} ${secret}` : secret };
}

/**
 * Any server speaking the OpenAI Chat Completions dialect (vLLM, Ollama, Groq, Together,
 * DeepSeek, OpenRouter, LM Studio...). `endpoint` is the base URL including its version prefix
 * (e.g. `http://ollama:11434/v1`). Capabilities are permissive defaults: narrow them per target.
 */
export const openaiCompatibleAdapter: ProviderAdapter = createOpenAIStyleAdapter({
  id: 'openai-compatible',
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
    multipleChoices: false,
    logprobs: true,
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
    family: 'openai',
    maxTokensField: 'max_tokens',
    sendModel: true,
    developerRole: false,
    seedField: 'seed',
    requiredToolChoice: 'required',
    reasoningEffort: false,
    topK: true,
    streamOptions: true,
    imageUrlString: false,
  }),
  chatUrl: (target) => `${trimSlash(requireTargetField(target, 'endpoint'))}/chat/completions`,
  embeddingsUrl: (target) => `${trimSlash(requireTargetField(target, 'endpoint'))}/embeddings`,
  authHeaders: compatibleAuth,
});
