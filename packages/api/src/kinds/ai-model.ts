import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Duration, Placement, SecretKeyRef, resourceSchema } from '../common.js';

export const PROVIDER_IDS = [
  'openai',
  'azure-openai',
  'anthropic',
  'gemini',
  'vertex-ai',
  'bedrock',
  'mistral',
  'cohere',
  'openai-compatible',
  'mock',
] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

const Price = (description: string) => Type.Number({ minimum: 0, maximum: 1000000, description });

export const Pricing = Type.Object(
  {
    currency: Type.Optional(Type.Literal('USD')),
    inputPerMTok: Price('Price per 1M input tokens.'),
    outputPerMTok: Price('Price per 1M output tokens (reasoning tokens included).'),
    cachedInputPerMTok: Type.Optional(Price('Price per 1M cached input tokens (default: input price).')),
    cacheWritePerMTok: Type.Optional(Price('Price per 1M cache-write input tokens (default: input price).')),
    effectiveFrom: Type.Optional(
      Type.String({ format: 'date-time', description: 'When this price starts.' }),
    ),
  },
  { additionalProperties: false },
);
export type Pricing = Static<typeof Pricing>;

export const AIModelTarget = Type.Object(
  {
    name: Type.Optional(
      Type.String({ maxLength: 63, description: 'Target name in usage records (default provider/model).' }),
    ),
    provider: Type.Union(
      PROVIDER_IDS.map((p) => Type.Literal(p)),
      { description: 'Provider adapter.' },
    ),
    model: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'The provider model id (or deployment).',
    }),
    endpoint: Type.Optional(
      Type.String({
        format: 'uri',
        maxLength: 2048,
        description: 'Base URL; the provider default when omitted.',
      }),
    ),
    region: Type.Optional(Type.String({ maxLength: 64, description: 'Cloud region (Bedrock, Vertex AI).' })),
    apiVersion: Type.Optional(Type.String({ maxLength: 64, description: 'API version (Azure OpenAI).' })),
    credentialsRef: Type.Optional(SecretKeyRef),
    weight: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1000000, description: 'Weighted strategy share (default 1).' }),
    ),
    priority: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1000, description: 'Fallback order, lowest first (default 0).' }),
    ),
    pricing: Type.Optional(
      Type.Array(Pricing, { maxItems: 32, description: 'Prices, each from its effective date.' }),
    ),
  },
  { additionalProperties: false },
);
export type AIModelTarget = Static<typeof AIModelTarget>;

export const AIModelSpec = Type.Object(
  {
    targets: Type.Array(AIModelTarget, { minItems: 1, maxItems: 32 }),
    strategy: Type.Optional(
      Type.Union(
        ['Fallback', 'Weighted', 'LeastLatency', 'LowestCost'].map((s) => Type.Literal(s)),
        { description: 'How a target is chosen (default Fallback).' },
      ),
    ),
    retry: Type.Optional(
      Type.Object(
        {
          attempts: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
          backoff: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
    timeouts: Type.Optional(
      Type.Object(
        {
          request: Type.Optional(Duration),
          firstToken: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
    limits: Type.Optional(
      Type.Object(
        {
          contextWindow: Type.Optional(Type.Integer({ minimum: 1 })),
          maxOutputTokens: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    unsupportedFields: Type.Optional(
      Type.Union([Type.Literal('Reject'), Type.Literal('Drop')], {
        description: 'What to do with request fields a target cannot carry (default Reject).',
      }),
    ),
    placement: Type.Optional(Placement),
  },
  { additionalProperties: false },
);
export type AIModelSpec = Static<typeof AIModelSpec>;

export const AIModel = resourceSchema(
  'AIModel',
  AIModelSpec,
  'A model name clients send, mapped to provider targets with a routing strategy and pricing.',
);
export type AIModel = Static<typeof AIModel>;
