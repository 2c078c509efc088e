import { USAGE_DEFAULT_LIMIT, USAGE_MAX_LIMIT } from './usage-query.js';
import { USAGE_GROUP_BY } from './usage-store.js';

type Json = Record<string, unknown>;

/*
 * The usage endpoints in the admin API's OpenAPI document (merged by `buildOpenApiDocument`).
 */

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const query = (name: string, description: string, schema: Json = { type: 'string' }): Json => ({
  name,
  in: 'query',
  required: false,
  schema,
  description,
});

const FILTERS: Json[] = [
  query('consumer', 'Only calls of this consumer ("" is anonymous).'),
  query('model', 'Only calls to this AIModel.'),
  query('target', 'Only calls served by a target of this name.'),
  query('provider', 'Only calls served by this provider id.'),
  query('cluster', 'Only calls through gateways of this cluster.'),
  query('since', 'Calls started at or after this time (RFC 3339).', { type: 'string', format: 'date-time' }),
  query('until', 'Calls started before this time (RFC 3339).', { type: 'string', format: 'date-time' }),
];

const COUNT = { type: 'integer', minimum: 0 };
const TOKENS: Json = {
  type: 'object',
  description:
    'Token counts (ADR 0003): input includes cachedInput and cacheWrite; output includes reasoning.',
  properties: { input: COUNT, cachedInput: COUNT, cacheWrite: COUNT, reasoning: COUNT, output: COUNT },
};

const TOTALS_PROPERTIES: Json = {
  requests: COUNT,
  errors: { ...COUNT, description: 'Calls with an error code or a status of 400 or more.' },
  aborted: { ...COUNT, description: 'Calls the client abandoned.' },
  streamed: COUNT,
  estimated: { ...COUNT, description: 'Calls whose token counts were estimated by the gateway.' },
  unpriced: {
    ...COUNT,
    description:
      'Calls that used tokens at a target without a price (their cost is unknown and not in costMicros).',
  },
  tokens: TOKENS,
  costMicros: {
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Cost per ISO 4217 currency, in millionths (micro-USD for USD).',
  },
};

export function usageOpenApiSchemas(): Json {
  return {
    UsageRecord: {
      type: 'object',
      properties: {
        requestId: { type: 'string' },
        cluster: { type: 'string' },
        startedAt: { type: 'string', format: 'date-time' },
        finishedAt: { type: 'string', format: 'date-time' },
        consumer: { type: 'string' },
        route: { type: 'string' },
        model: { type: 'string' },
        provider: { type: 'string' },
        target: { type: 'string' },
        tokens: TOKENS,
        estimated: { type: 'boolean' },
        priced: { type: 'boolean', description: 'The negation of `unpriced`.' },
        unpriced: {
          type: 'boolean',
          description:
            'True when the call used tokens at a target without a price: the cost is unknown, not 0.',
        },
        costMicros: { type: 'integer', description: 'Millionths of `currency`.' },
        currency: { type: 'string', description: 'ISO 4217 code; "" when unpriced.' },
        latencyMs: COUNT,
        timeToFirstTokenMs: { ...COUNT, description: '0 when no token was sent.' },
        statusCode: { type: 'integer' },
        errorCode: { type: ['string', 'null'], description: 'HUBPO_ERR_* when the call failed.' },
        stream: { type: 'boolean' },
        aborted: { type: 'boolean' },
        receivedAt: { type: 'string', format: 'date-time', description: 'When the control plane stored it.' },
      },
    },
    UsageRecordList: {
      type: 'object',
      properties: {
        items: { type: 'array', items: ref('UsageRecord') },
        metadata: {
          type: 'object',
          properties: { continue: { type: 'string', description: 'Next page; absent on the last page.' } },
        },
      },
    },
    UsageTotals: { type: 'object', properties: TOTALS_PROPERTIES },
    UsageSummary: {
      type: 'object',
      properties: {
        groupBy: { enum: [...USAGE_GROUP_BY] },
        since: { type: ['string', 'null'], format: 'date-time' },
        until: { type: ['string', 'null'], format: 'date-time' },
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              key: {
                type: 'object',
                additionalProperties: { type: 'string' },
                description: 'The group: e.g. { model } or, for targets, { model, target }.',
              },
              ...TOTALS_PROPERTIES,
            },
          },
        },
        total: ref('UsageTotals'),
      },
    },
  };
}

export function usageOpenApiPaths(): Json {
  const errors = {
    '400': problem('An invalid parameter; `issues` names each.'),
    '401': problem('Missing or wrong bearer token.'),
  };
  return {
    '/api/v1/usage': {
      get: {
        operationId: 'listUsage',
        tags: ['Usage'],
        description: 'Usage records of AI calls, newest first.',
        parameters: [
          ...FILTERS,
          query('limit', 'Page size.', {
            type: 'integer',
            minimum: 1,
            maximum: USAGE_MAX_LIMIT,
            default: USAGE_DEFAULT_LIMIT,
          }),
          query('continue', 'The `metadata.continue` of the previous page (same filters).'),
        ],
        responses: {
          '200': {
            description: 'A page.',
            content: { 'application/json': { schema: ref('UsageRecordList') } },
          },
          ...errors,
        },
      },
    },
    '/api/v1/usage/summary': {
      get: {
        operationId: 'summarizeUsage',
        tags: ['Usage'],
        description: 'Requests, tokens by kind, cost, unpriced and error counts per group.',
        parameters: [
          query('groupBy', 'Grouping (target groups by model and target).', {
            enum: [...USAGE_GROUP_BY],
            default: 'model',
          }),
          ...FILTERS,
        ],
        responses: {
          '200': { description: 'Totals.', content: { 'application/json': { schema: ref('UsageSummary') } } },
          ...errors,
        },
      },
    },
  };
}
