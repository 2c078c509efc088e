import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Name, Placement, SecretKeyRef, resourceSchema } from '../common.js';

export const ApiKeyCredential = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: '^[A-Za-z0-9._-]+$',
      description: 'Key name (for rotation).',
    }),
    secretRef: Type.Optional(SecretKeyRef),
    value: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 512,
        writeOnly: true,
        description: 'The key itself (admin API only). Hashed on write, never stored or returned.',
      }),
    ),
    sha256: Type.Optional(
      Type.String({ pattern: '^[a-f0-9]{64}$', description: 'Hex SHA-256 of the key; set by the server.' }),
    ),
  },
  {
    additionalProperties: false,
    description: 'One of secretRef, value or sha256.',
    'x-kubernetes-validations': [
      {
        rule: '!has(self.value)',
        message: 'inline key values are for the admin API only; reference a Secret with secretRef',
      },
      { rule: 'has(self.secretRef) != has(self.sha256)', message: 'set exactly one of secretRef or sha256' },
    ],
  },
);
export type ApiKeyCredential = Static<typeof ApiKeyCredential>;

export const ConsumerSpec = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 256 })),
    apiKeys: Type.Optional(Type.Array(ApiKeyCredential, { maxItems: 32 })),
    allowedModels: Type.Optional(
      Type.Array(Name, { maxItems: 256, description: 'AIModels this consumer may use; all when omitted.' }),
    ),
    allowedRoutes: Type.Optional(
      Type.Array(Name, { maxItems: 256, description: 'Routes this consumer may use; all when omitted.' }),
    ),
    placement: Type.Optional(Placement),
  },
  { additionalProperties: false },
);
export type ConsumerSpec = Static<typeof ConsumerSpec>;

export const Consumer = resourceSchema(
  'Consumer',
  ConsumerSpec,
  'An application or team that calls the gateway, with its credentials and allowances.',
);
export type Consumer = Static<typeof Consumer>;
