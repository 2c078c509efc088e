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

/** Built-in detectors of `aiLogging.redact`. */
export const REDACTION_DETECTORS = ['email', 'phone', 'creditCard', 'apiKey', 'ipAddress'] as const;
export type RedactionDetector = (typeof REDACTION_DETECTORS)[number];

/** Longest custom redaction pattern (characters); longer ones are refused at validation. */
export const MAX_REDACTION_PATTERN_LENGTH = 256;

export const RedactionPattern = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: '^[A-Za-z][A-Za-z0-9_-]*$',
      description: 'Shown in place of a match as "[REDACTED:<name>]".',
    }),
    regex: Type.String({
      minLength: 1,
      maxLength: MAX_REDACTION_PATTERN_LENGTH,
      description:
        'A JavaScript regular expression (no flags; matched globally). Patterns with nested repetition (catastrophic backtracking) are refused.',
    }),
  },
  { additionalProperties: false },
);
export type RedactionPattern = Static<typeof RedactionPattern>;

export const AILogging = Type.Object(
  {
    prompts: Type.Optional(
      Type.Boolean({ description: 'Log the prompt messages of each AI request (redacted). Default false.' }),
    ),
    completions: Type.Optional(
      Type.Boolean({
        description: 'Log the completion text of each AI request (streams: assembled). Default false.',
      }),
    ),
    redact: Type.Optional(
      Type.Array(Type.Union(REDACTION_DETECTORS.map((d) => Type.Literal(d))), {
        maxItems: REDACTION_DETECTORS.length,
        uniqueItems: true,
        description: 'Built-in detectors to apply; all of them when omitted, none when [].',
      }),
    ),
    patterns: Type.Optional(
      Type.Array(RedactionPattern, { maxItems: 16, description: 'Custom patterns redacted as well.' }),
    ),
    maxChars: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65536,
        description:
          'Longest logged prompt or completion text, in characters (default 4096); longer text is cut.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Prompt and completion logging (structured log lines, component "ai-log"). Nothing is logged unless prompts or completions is true.',
  },
);
export type AILogging = Static<typeof AILogging>;

/** Default header of provider-key pass-through. */
export const DEFAULT_PROVIDER_KEY_HEADER = 'x-hubpo-provider-key';

export const AICredentials = Type.Object(
  {
    passThrough: Type.Boolean({
      description:
        'Let callers supply the provider key for their request; without it a client-sent key header is ignored.',
    }),
    header: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
        description: `Header carrying the caller's provider key (default "${DEFAULT_PROVIDER_KEY_HEADER}").`,
      }),
    ),
    providers: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
        minItems: 1,
        maxItems: 32,
        uniqueItems: true,
        description:
          "Providers whose targets take the caller's key (default: every target); other targets keep their stored credential.",
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Where AI provider credentials may come from besides the stored ones.',
  },
);
export type AICredentials = Static<typeof AICredentials>;

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
    aiLogging: Type.Optional(AILogging),
    aiCredentials: Type.Optional(AICredentials),
    placement: Type.Optional(Placement),
  },
  { additionalProperties: false },
);
export type PolicySpec = Static<typeof PolicySpec>;

export const Policy = resourceSchema(
  'Policy',
  PolicySpec,
  'Attaches authentication, rate limits, AI logging and AI credential rules to Routes, AIModels or Consumers.',
);
export type Policy = Static<typeof Policy>;
