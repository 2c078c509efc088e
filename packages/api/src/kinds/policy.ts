import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Name, Placement, resourceSchema } from '../common.js';

export const PolicyTargetRef = Type.Object(
  {
    kind: Type.Union([Type.Literal('Route'), Type.Literal('AIModel'), Type.Literal('Consumer')]),
    name: Name,
    namespace: Type.Optional(Name),
  },
  { additionalProperties: false },
);
export type PolicyTargetRef = Static<typeof PolicyTargetRef>;

export const RateLimit = Type.Object(
  {
    requests: Type.Integer({ minimum: 1, maximum: 1000000000, description: 'Requests allowed per window.' }),
    per: Type.Union([Type.Literal('second'), Type.Literal('minute'), Type.Literal('hour')]),
    burst: Type.Optional(Type.Integer({ minimum: 1, description: 'Extra requests allowed in a burst.' })),
    key: Type.Optional(
      Type.Union([Type.Literal('consumer'), Type.Literal('clientIp')], {
        description: 'Whom the limit counts (default consumer, falling back to client IP).',
      }),
    ),
  },
  { additionalProperties: false, description: 'A token bucket per key, per gateway pod.' },
);
export type RateLimit = Static<typeof RateLimit>;

export const PolicySpec = Type.Object(
  {
    targetRefs: Type.Array(PolicyTargetRef, { minItems: 1, maxItems: 64 }),
    authentication: Type.Optional(
      Type.Object(
        {
          apiKey: Type.Optional(
            Type.Object(
              {
                header: Type.Optional(
                  Type.String({
                    maxLength: 128,
                    description:
                      'Header carrying the key (default: "authorization" bearer, then "x-api-key").',
                  }),
                ),
                optional: Type.Optional(
                  Type.Boolean({ description: 'Let requests without a key through as anonymous.' }),
                ),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    rateLimit: Type.Optional(RateLimit),
    placement: Type.Optional(Placement),
  },
  { additionalProperties: false },
);
export type PolicySpec = Static<typeof PolicySpec>;

export const Policy = resourceSchema(
  'Policy',
  PolicySpec,
  'Attaches authentication and rate limits to Routes, AIModels or Consumers.',
);
export type Policy = Static<typeof Policy>;
