import type { MockProviderAdapter, ProviderAdapter, ProviderId } from './provider-adapter.js';
import { anthropicAdapter } from './providers/anthropic/anthropic-adapter.js';
import { azureOpenaiAdapter } from './providers/azure-openai/azure-openai-adapter.js';
import { bedrockAdapter } from './providers/bedrock/bedrock-adapter.js';
import { cohereAdapter } from './providers/cohere/cohere-adapter.js';
import { geminiAdapter } from './providers/gemini/gemini-adapter.js';
import { mistralAdapter } from './providers/mistral/mistral-adapter.js';
import { mockAdapter } from './providers/mock/mock-adapter.js';
import { openaiCompatibleAdapter } from './providers/openai-compatible/openai-compatible-adapter.js';
import { openaiAdapter } from './providers/openai/openai-adapter.js';

/**
 * The single registry of provider adapters. The `satisfies` clause makes it exhaustive: adding a
 * ProviderId without an adapter does not compile.
 */
export const adapters = Object.freeze({
  openai: openaiAdapter,
  'azure-openai': azureOpenaiAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
  bedrock: bedrockAdapter,
  mistral: mistralAdapter,
  cohere: cohereAdapter,
  'openai-compatible': openaiCompatibleAdapter,
  mock: mockAdapter,
} satisfies Record<ProviderId, ProviderAdapter>) as Readonly<Record<ProviderId, ProviderAdapter>> & {
  readonly mock: MockProviderAdapter;
};

export const PROVIDER_IDS: readonly ProviderId[] = Object.freeze(Object.keys(adapters) as ProviderId[]);

export function isProviderId(value: string): value is ProviderId {
  return Object.hasOwn(adapters, value);
}
