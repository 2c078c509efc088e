import { API_VERSION, KINDS, KIND_NAMES } from '@hubpo/api';
import type { KindName } from '@hubpo/api';
import { usageOpenApiPaths, usageOpenApiSchemas } from '../usage/usage-openapi.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from './resource-routes.js';
import { secretOpenApiPaths, secretOpenApiSchemas } from './secret-openapi.js';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (schema: Json): Json => ({ 'application/json': { schema } });
const problemResponse = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

const ERRORS: Json = {
  '401': problemResponse('Missing or wrong bearer token.'),
  '404': problemResponse('No such resource type or object.'),
};
const WRITE_ERRORS: Json = {
  ...ERRORS,
  '400': problemResponse('Malformed JSON.'),
  '413': problemResponse('Body larger than 1 MiB.'),
  '415': problemResponse('Body is not JSON (PATCH: merge patch JSON).'),
  '422': problemResponse('The resource is invalid; `issues` names each field.'),
};

const pathParam = (name: string, description: string): Json => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description,
});
const NS = pathParam('namespace', 'Namespace of the object.');
const NAME = pathParam('name', 'Name of the object.');
const IF_MATCH: Json = {
  name: 'If-Match',
  in: 'header',
  required: false,
  schema: { type: 'string' },
  description: 'The ETag ("<resourceVersion>") the write expects; 412 when the object moved on.',
};
const LIST_PARAMS: Json[] = [
  {
    name: 'limit',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
    description: 'Page size.',
  },
  {
    name: 'continue',
    in: 'query',
    schema: { type: 'string' },
    description: 'The `metadata.continue` of the previous page.',
  },
  {
    name: 'labelSelector',
    in: 'query',
    schema: { type: 'string' },
    description: 'Equality selector: `k=v`, `k!=v`, `k`, `!k`, comma separated (all must hold).',
  },
];

/**
 * The OpenAPI 3.1 description of the admin API, generated from the kind schemas of @hubpo/api
 * (OpenAPI 3.1 schemas are JSON Schema 2020-12, which TypeBox emits), so it cannot drift from
 * what the API validates.
 */
export function buildOpenApiDocument(): Json {
  const schemas: Json = { ...commonSchemas() };
  const paths: Json = {};
  for (const kind of KIND_NAMES) {
    schemas[kind] = plain(KINDS[kind].schema);
    schemas[`${kind}List`] = listSchema(kind);
    Object.assign(paths, kindPaths(kind));
  }
  Object.assign(paths, systemPaths(), usageOpenApiPaths(), secretOpenApiPaths());
  Object.assign(schemas, usageOpenApiSchemas(), secretOpenApiSchemas());
  return {
    openapi: '3.1.0',
    info: {
      title: 'Hubpo control plane admin API',
      version: API_VERSION,
      description:
        'Resources (Route, AIModel, PromptTemplate, Consumer, Policy), gateways, clusters and config revisions.',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'HUBPO_ADMIN_TOKEN' } },
    },
  };
}

function kindPaths(kind: KindName): Json {
  const { plural } = KINDS[kind];
  const one = {
    '200': { description: `The ${kind}.`, headers: etagHeader(), content: jsonContent(ref(kind)) },
  };
  const body = (type: string): Json => ({ required: true, content: { [type]: { schema: ref(kind) } } });
  const tags = [kind];
  return {
    [`/api/v1/namespaces/{namespace}/${plural}`]: {
      parameters: [NS],
      get: {
        operationId: `list${kind}`,
        tags,
        parameters: LIST_PARAMS,
        responses: { '200': { description: 'A page.', content: jsonContent(ref(`${kind}List`)) }, ...ERRORS },
      },
      post: {
        operationId: `create${kind}`,
        tags,
        requestBody: body('application/json'),
        responses: {
          '201': { description: 'Created.', headers: etagHeader(), content: jsonContent(ref(kind)) },
          '409': problemResponse('An object with this name exists.'),
          ...WRITE_ERRORS,
        },
      },
    },
    [`/api/v1/namespaces/{namespace}/${plural}/{name}`]: {
      parameters: [NS, NAME],
      get: { operationId: `read${kind}`, tags, responses: { ...one, ...ERRORS } },
      put: {
        operationId: `replace${kind}`,
        tags,
        parameters: [IF_MATCH],
        requestBody: body('application/json'),
        responses: {
          ...one,
          '409': problemResponse('metadata.resourceVersion is not current.'),
          '412': problemResponse('If-Match failed.'),
          ...WRITE_ERRORS,
        },
      },
      patch: {
        operationId: `patch${kind}`,
        tags,
        parameters: [IF_MATCH],
        requestBody: {
          required: true,
          content: { 'application/merge-patch+json': { schema: { type: 'object' } } },
        },
        responses: { ...one, '412': problemResponse('If-Match failed.'), ...WRITE_ERRORS },
      },
      delete: {
        operationId: `delete${kind}`,
        tags,
        parameters: [IF_MATCH],
        responses: { ...one, '412': problemResponse('If-Match failed.'), ...ERRORS },
      },
    },
    [`/api/v1/namespaces/{namespace}/${plural}/{name}/status`]: {
      parameters: [NS, NAME],
      get: {
        operationId: `read${kind}Status`,
        tags,
        responses: {
          '200': { description: 'Conditions and distribution.', content: jsonContent(ref('StatusObject')) },
          ...ERRORS,
        },
      },
    },
    [`/api/v1/${plural}`]: {
      get: {
        operationId: `list${kind}AllNamespaces`,
        tags,
        parameters: LIST_PARAMS,
        responses: {
          '200': { description: 'A page across namespaces.', content: jsonContent(ref(`${kind}List`)) },
          ...ERRORS,
        },
      },
    },
  };
}

function systemPaths(): Json {
  const get = (operationId: string, description: string, schema: Json, secured = true): Json => ({
    get: {
      operationId,
      tags: ['System'],
      ...(secured ? {} : { security: [] }),
      responses: {
        '200': { description, content: jsonContent(schema) },
        ...(secured ? { '401': ERRORS['401'] } : {}),
      },
    },
  });
  return {
    '/api/v1/gateways': get(
      'listGateways',
      'Gateways with their applied revision and last ACK/NACK.',
      ref('GatewayList'),
    ),
    '/api/v1/clusters': get('listClusters', 'Known clusters.', ref('ClusterList')),
    '/api/v1/config': get(
      'readConfig',
      'Current revision and last published snapshot per cluster.',
      ref('ConfigStatus'),
    ),
    '/healthz': get('health', 'The process is up.', { type: 'object' }, false),
    '/readyz': get(
      'ready',
      'Database reachable and first translation done (503 otherwise).',
      { type: 'object' },
      false,
    ),
    '/metrics': {
      get: {
        operationId: 'metrics',
        tags: ['System'],
        responses: {
          '200': {
            description: 'Prometheus text format.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/openapi.json': get('openapi', 'This document.', { type: 'object' }),
  };
}

function etagHeader(): Json {
  return { ETag: { description: "The object's resourceVersion, quoted.", schema: { type: 'string' } } };
}

function listSchema(kind: KindName): Json {
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'items'],
    properties: {
      apiVersion: { const: API_VERSION },
      kind: { const: `${kind}List` },
      metadata: {
        type: 'object',
        properties: {
          resourceVersion: { type: 'string', description: 'Config revision the page was read at.' },
          continue: {
            type: 'string',
            description: 'Pass as `continue` to get the next page; absent on the last page.',
          },
        },
      },
      items: { type: 'array', items: ref(kind) },
    },
  };
}

function commonSchemas(): Json {
  const str = { type: 'string' };
  const int = { type: 'integer' };
  const nullable = (schema: Json): Json => ({ oneOf: [schema, { type: 'null' }] });
  const gateway = {
    type: 'object',
    properties: {
      nodeId: str,
      cluster: str,
      transport: { enum: ['grpc', 'nats'] },
      node: { type: 'object' },
      appliedRevision: int,
      appliedHash: str,
      connected: { type: 'boolean' },
      lastSeen: str,
      lastAck: nullable({ type: 'object', properties: { at: str } }),
      lastNack: nullable({ type: 'object', properties: { at: str, error: str, revision: nullable(int) } }),
    },
  };
  return {
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details.',
      required: ['type', 'title', 'status', 'code', 'detail'],
      properties: {
        type: str,
        title: str,
        status: int,
        code: { type: 'string', description: 'Stable HUBPO_ERR_* code.' },
        detail: str,
        instance: str,
        retryable: { type: 'boolean' },
        issues: { type: 'array', items: { type: 'object', properties: { path: str, message: str } } },
      },
    },
    StatusObject: {
      type: 'object',
      properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, status: { type: 'object' } },
    },
    GatewayList: { type: 'object', properties: { items: { type: 'array', items: gateway } } },
    ClusterList: {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: str,
              labels: { type: 'object' },
              state: { enum: ['active', 'unreachable'] },
              lastSeen: nullable(str),
            },
          },
        },
      },
    },
    ConfigStatus: {
      type: 'object',
      properties: {
        revision: int,
        translatedRevision: nullable(int),
        clusters: {
          type: 'array',
          items: { type: 'object', properties: { cluster: str, revision: int, hash: str, publishedAt: str } },
        },
      },
    },
  };
}

/** TypeBox schemas carry symbol keys; a JSON round trip leaves the plain JSON Schema. */
function plain(schema: unknown): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}
