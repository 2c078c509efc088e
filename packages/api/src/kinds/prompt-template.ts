import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Name, Placement, resourceSchema } from '../common.js';

const Message = Type.Object(
  {
    role: Type.Union([Type.Literal('system'), Type.Literal('user'), Type.Literal('assistant')]),
    content: Type.String({ maxLength: 262144, description: 'Text with {{variable}} placeholders.' }),
  },
  { additionalProperties: false },
);

const Variable = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' }),
    type: Type.Optional(
      Type.Union([Type.Literal('string'), Type.Literal('number'), Type.Literal('boolean')], {
        description: 'Default string.',
      }),
    ),
    required: Type.Optional(Type.Boolean()),
    default: Type.Optional(Type.String({ maxLength: 65536 })),
    maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 1048576 })),
  },
  { additionalProperties: false },
);

const Parameters = Type.Object(
  {
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    topP: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const PromptTemplateSpec = Type.Object(
  {
    model: Name,
    messages: Type.Array(Message, { minItems: 1, maxItems: 64 }),
    variables: Type.Optional(Type.Array(Variable, { maxItems: 64 })),
    parameters: Type.Optional(Parameters),
    variants: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 63 }),
            weight: Type.Integer({ minimum: 0, maximum: 1000000 }),
            messages: Type.Optional(Type.Array(Message, { minItems: 1, maxItems: 64 })),
            model: Type.Optional(Name),
            parameters: Type.Optional(Parameters),
          },
          { additionalProperties: false },
        ),
        { maxItems: 16, description: 'A/B variants chosen by weight.' },
      ),
    ),
    expose: Type.Optional(
      Type.Object(
        { path: Type.String({ pattern: '^/[A-Za-z0-9._~/-]*$', maxLength: 512 }) },
        { additionalProperties: false, description: 'Serve the template as a REST endpoint at this path.' },
      ),
    ),
    placement: Type.Optional(Placement),
  },
  { additionalProperties: false },
);
export type PromptTemplateSpec = Static<typeof PromptTemplateSpec>;

export const PromptTemplate = resourceSchema(
  'PromptTemplate',
  PromptTemplateSpec,
  'A versioned prompt with variables, served through an AIModel.',
);
export type PromptTemplate = Static<typeof PromptTemplate>;
