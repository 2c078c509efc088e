import type { ProviderId } from '@hubpo/ai-providers';
import { anthropicWire } from './anthropic-wire.js';
import { bedrockWire } from './bedrock-wire.js';
import { cohereWire } from './cohere-wire.js';
import { geminiWire } from './gemini-wire.js';
import type { MockWire } from './mock-wire.js';
import { openAIWire } from './openai-wire.js';

/** Every provider a mock server can impersonate: the upstream provider ids except the built-in mock. */
export type MockProviderKind = Exclude<ProviderId, 'mock'>;

interface KindSpec {
  readonly wire: () => MockWire;
  /** Appended to the server URL to get the adapter's `endpoint` (the default base URL's path). */
  readonly endpointPath: string;
}

const SPECS: Readonly<Record<MockProviderKind, KindSpec>> = Object.freeze({
  openai: { wire: () => openAIWire('openai'), endpointPath: '/v1' },
  'azure-openai': { wire: () => openAIWire('azure-openai'), endpointPath: '' },
  'openai-compatible': {
    wire: () => openAIWire('openai-compatible'),
    endpointPath: '/v1',
  },
  mistral: { wire: () => openAIWire('mistral'), endpointPath: '/v1' },
  anthropic: { wire: anthropicWire, endpointPath: '' },
  gemini: { wire: geminiWire, endpointPath: '' },
  bedrock: { wire: bedrockWire, endpointPath: '' },
  cohere: { wire: cohereWire, endpointPath: '' },
});

export const MOCK_PROVIDER_KINDS: readonly MockProviderKind[] = Object.freeze(
  Object.keys(SPECS) as MockProviderKind[],
);

export function mockProviderSpec(kind: MockProviderKind): KindSpec {
  return SPECS[kind];
}
