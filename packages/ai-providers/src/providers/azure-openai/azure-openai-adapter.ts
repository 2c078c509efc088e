import { defineCapabilities } from '../../capabilities.js';
import type { ProviderAdapter, RequestContext, TargetConfig } from '../../provider-adapter.js';
import { requireTargetField } from '../../shared/require-target-field.js';
import { createOpenAIStyleAdapter, trimSlash } from '../openai/openai-style-adapter.js';

/** GA data-plane API version used when the target names none. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

function deploymentUrl(target: TargetConfig, operation: string): string {
  const endpoint = trimSlash(requireTargetField(target, 'endpoint'));
  const version = encodeURIComponent(target.apiVersion ?? AZURE_DEFAULT_API_VERSION);
  return `${endpoint}/openai/deployments/${encodeURIComponent(target.model)}/${operation}?api-version=${version}`;
}

/** Key credentials go in `api-key`; Entra ID tokens (bearer credentials) in `Authorization`. */
function azureAuth(ctx: RequestContext): Record<string, string> {
  const c = ctx.credentials;
  if (c.kind === 'api-key') return { 'api-key': c.apiKey };
  if (c.kind === 'bearer') return { authorization: `Bearer ${c.token}` };
  return {};
}

/**
 * Azure OpenAI (https://learn.microsoft.com/azure/ai-services/openai/reference): the OpenAI
 * dialect at `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...`;
 * `target.model` is the deployment name.
 */
export const azureOpenaiAdapter: ProviderAdapter = createOpenAIStyleAdapter({
  id: 'azure-openai',
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
    sendModel: false,
    developerRole: true,
    seedField: 'seed',
    requiredToolChoice: 'required',
    reasoningEffort: true,
    topK: false,
    streamOptions: true,
    imageUrlString: false,
  }),
  chatUrl: (target) => deploymentUrl(target, 'chat/completions'),
  embeddingsUrl: (target) => deploymentUrl(target, 'embeddings'),
  authHeaders: (_target, ctx) => azureAuth(ctx),
});
