import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Name, Placement, durationSchema, resourceSchema } from '../common.js';

const HeaderName = Type.String({ minLength: 1, maxLength: 256, pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" });
const MatchType = (values: readonly string[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );

export const PathMatch = Type.Object(
  {
    type: Type.Optional(
      MatchType(
        ['Exact', 'PathPrefix', 'RegularExpression'],
        'How the path is compared (default PathPrefix).',
      ),
    ),
    value: Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'Starts with "/" for Exact and PathPrefix; a regular expression for RegularExpression.',
    }),
  },
  { additionalProperties: false },
);

const ValueMatch = Type.Object(
  {
    type: Type.Optional(
      MatchType(['Exact', 'RegularExpression'], 'How the value is compared (default Exact).'),
    ),
    name: HeaderName,
    value: Type.String({ maxLength: 4096 }),
  },
  { additionalProperties: false },
);

export const RouteMatch = Type.Object(
  {
    path: Type.Optional(PathMatch),
    method: Type.Optional(
      MatchType(
        ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'],
        'HTTP method; any method when omitted.',
      ),
    ),
    headers: Type.Optional(Type.Array(ValueMatch, { maxItems: 16, description: 'All must match.' })),
    queryParams: Type.Optional(Type.Array(ValueMatch, { maxItems: 16, description: 'All must match.' })),
  },
  { additionalProperties: false, description: 'A request matches when every given condition matches.' },
);
export type RouteMatch = Static<typeof RouteMatch>;

export const Backend = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        format: 'uri',
        maxLength: 2048,
        description: 'Upstream base URL (http or https), e.g. "http://orders.internal:8080".',
      }),
    ),
    service: Type.Optional(
      Type.Object(
        {
          name: Name,
          namespace: Type.Optional(Name),
          port: Type.Integer({ minimum: 1, maximum: 65535 }),
        },
        { additionalProperties: false, description: 'A Kubernetes Service in the cluster.' },
      ),
    ),
    weight: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1000000, description: 'Share of traffic (default 1).' }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Exactly one of url or service.',
    'x-kubernetes-validations': [
      { rule: 'has(self.url) != has(self.service)', message: 'set exactly one of url or service' },
    ],
  },
);
export type Backend = Static<typeof Backend>;

const HeaderValue = Type.Object(
  { name: HeaderName, value: Type.String({ maxLength: 4096 }) },
  { additionalProperties: false },
);

export const HeaderModifier = Type.Object(
  {
    set: Type.Optional(
      Type.Array(HeaderValue, { maxItems: 32, description: 'Replace or add these headers.' }),
    ),
    add: Type.Optional(Type.Array(HeaderValue, { maxItems: 32, description: 'Append these header values.' })),
    remove: Type.Optional(Type.Array(HeaderName, { maxItems: 32, description: 'Remove these headers.' })),
  },
  { additionalProperties: false },
);
export type HeaderModifier = Static<typeof HeaderModifier>;

export const UrlRewrite = Type.Object(
  {
    hostname: Type.Optional(Type.String({ maxLength: 253, description: 'Host header sent upstream.' })),
    path: Type.Optional(
      Type.Object(
        {
          type: MatchType(
            ['ReplaceFullPath', 'ReplacePrefixMatch'],
            'ReplacePrefixMatch needs a PathPrefix match on the rule.',
          ),
          value: Type.String({ maxLength: 1024 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const RouteRule = Type.Object(
  {
    name: Type.Optional(
      Type.String({ maxLength: 63, description: 'Optional name used in metrics and logs.' }),
    ),
    matches: Type.Optional(
      Type.Array(RouteMatch, {
        maxItems: 64,
        description: 'Any match selects the rule; no matches means every request (PathPrefix "/").',
      }),
    ),
    backends: Type.Optional(Type.Array(Backend, { maxItems: 64, description: 'Upstreams for API traffic.' })),
    ai: Type.Optional(
      Type.Object(
        {
          models: Type.Optional(
            Type.Array(Name, {
              maxItems: 256,
              description: 'AIModel names served under this rule; all AIModels when omitted.',
            }),
          ),
        },
        { additionalProperties: false, description: 'Serve the OpenAI and Anthropic APIs under this rule.' },
      ),
    ),
    filters: Type.Optional(
      Type.Object(
        {
          requestHeaders: Type.Optional(HeaderModifier),
          responseHeaders: Type.Optional(HeaderModifier),
          urlRewrite: Type.Optional(UrlRewrite),
        },
        { additionalProperties: false },
      ),
    ),
    timeouts: Type.Optional(
      Type.Object(
        {
          request: Type.Optional(durationSchema('Whole request, retries included (default 30s).')),
          backendRequest: Type.Optional(durationSchema('One upstream attempt (default 15s).')),
          connect: Type.Optional(durationSchema('Upstream connect (default 5s).')),
        },
        { additionalProperties: false },
      ),
    ),
    retry: Type.Optional(
      Type.Object(
        {
          attempts: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 10,
              description: 'Retries after the first try (default 2).',
            }),
          ),
          backoff: Type.Optional(durationSchema('Base backoff between tries (default 25ms).')),
          codes: Type.Optional(
            Type.Array(Type.Integer({ minimum: 500, maximum: 599 }), {
              maxItems: 16,
              description: 'Status codes retried for idempotent requests (default 502, 503, 504).',
            }),
          ),
        },
        {
          additionalProperties: false,
          description: 'Connect failures are always retried; listed 5xx only for idempotent methods.',
        },
      ),
    ),
    loadBalancer: Type.Optional(
      MatchType(
        ['RoundRobin', 'Random', 'LeastRequest'],
        'How backends are picked, by weight (default RoundRobin).',
      ),
    ),
  },
  {
    additionalProperties: false,
    'x-kubernetes-validations': [
      {
        rule: '(has(self.backends) && size(self.backends) > 0) != has(self.ai)',
        message: 'set exactly one of backends (API traffic) or ai (AI APIs)',
      },
    ],
  },
);
export type RouteRule = Static<typeof RouteRule>;

export const RouteSpec = Type.Object(
  {
    hostnames: Type.Optional(
      Type.Array(
        Type.String({
          maxLength: 253,
          pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
        }),
        {
          maxItems: 64,
          description: 'Host names served ("*.example.com" wildcards allowed); all when omitted.',
        },
      ),
    ),
    rules: Type.Array(RouteRule, { minItems: 1, maxItems: 256 }),
    passiveHealth: Type.Optional(
      Type.Object(
        {
          consecutiveFailures: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 1000,
              description: 'Failures that eject a backend (default 5).',
            }),
          ),
          ejectionTime: Type.Optional(durationSchema('How long it stays ejected (default 30s).')),
        },
        { additionalProperties: false, description: 'Eject backends that keep failing.' },
      ),
    ),
    placement: Type.Optional(Placement),
  },
  { additionalProperties: false },
);
export type RouteSpec = Static<typeof RouteSpec>;

export const Route = resourceSchema(
  'Route',
  RouteSpec,
  'Routes HTTP requests by host, path, method, headers and query to upstream backends or to the AI APIs.',
);
export type Route = Static<typeof Route>;
