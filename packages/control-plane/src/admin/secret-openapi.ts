import { SECRET_LIMITS } from './secret-routes.js';

type Json = Record<string, unknown>;

const problem = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const param = (name: string, description: string): Json => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description,
});
const summary: Json = { $ref: '#/components/schemas/SecretSummary' };
const list: Json = {
  description: 'Secret summaries (never values).',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/SecretList' } } },
};
const ERRORS: Json = {
  '401': problem('Missing or wrong bearer token.'),
  '503': problem('The control plane has no HUBPO_SECRET_KEY.'),
};

/** OpenAPI paths of the write-only secrets API. */
export function secretOpenApiPaths(): Json {
  const tags = ['Secret'];
  return {
    '/api/v1/secrets': {
      get: { operationId: 'listAllSecrets', tags, responses: { '200': list, ...ERRORS } },
    },
    '/api/v1/namespaces/{namespace}/secrets': {
      parameters: [param('namespace', 'Namespace of the secrets.')],
      get: { operationId: 'listSecrets', tags, responses: { '200': list, ...ERRORS } },
    },
    '/api/v1/namespaces/{namespace}/secrets/{name}': {
      parameters: [param('namespace', 'Namespace of the secret.'), param('name', 'Name of the secret.')],
      get: {
        operationId: 'readSecret',
        tags,
        responses: {
          '200': {
            description: 'Keys and update time.',
            content: { 'application/json': { schema: summary } },
          },
          '404': problem('No such secret.'),
          ...ERRORS,
        },
      },
      put: {
        operationId: 'replaceSecret',
        tags,
        description:
          'Stores the secret (replacing every key), sealed at rest; AIModels that refer to it are re-translated.',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/SecretWrite' } } },
        },
        responses: {
          '200': { description: 'Replaced.', content: { 'application/json': { schema: summary } } },
          '201': { description: 'Created.', content: { 'application/json': { schema: summary } } },
          '413': problem('Body larger than 1 MiB.'),
          '415': problem('Body is not JSON.'),
          '422': problem('Invalid keys or values; `issues` names each key (never a value).'),
          ...ERRORS,
        },
      },
      delete: {
        operationId: 'deleteSecret',
        tags,
        responses: { '204': { description: 'Deleted.' }, '404': problem('No such secret.'), ...ERRORS },
      },
    },
  };
}

export function secretOpenApiSchemas(): Json {
  return {
    SecretWrite: {
      type: 'object',
      additionalProperties: false,
      required: ['data'],
      properties: {
        data: {
          type: 'object',
          minProperties: 1,
          maxProperties: SECRET_LIMITS.maxKeys,
          propertyNames: { pattern: '^[-._a-zA-Z0-9]+$', maxLength: SECRET_LIMITS.maxKeyLength },
          additionalProperties: { type: 'string', minLength: 1, description: 'At most 64 KiB (UTF-8).' },
        },
      },
    },
    SecretSummary: {
      type: 'object',
      required: ['namespace', 'name', 'keys', 'updatedAt'],
      properties: {
        namespace: { type: 'string' },
        name: { type: 'string' },
        keys: { type: 'array', items: { type: 'string' } },
        updatedAt: { type: 'string', format: 'date-time' },
      },
    },
    SecretList: {
      type: 'object',
      required: ['items'],
      properties: { items: { type: 'array', items: { $ref: '#/components/schemas/SecretSummary' } } },
    },
  };
}
