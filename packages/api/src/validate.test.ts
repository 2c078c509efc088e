import { validateResource } from './kind-registry.js';

const route = (spec: unknown) => ({
  apiVersion: 'hubpo.io/v1alpha1',
  kind: 'Route',
  metadata: { name: 'orders', namespace: 'shop' },
  spec,
});

describe('validateResource', () => {
  it('accepts a complete route', () => {
    const result = validateResource(
      'Route',
      route({
        hostnames: ['api.example.com'],
        rules: [
          {
            name: 'orders',
            matches: [
              {
                path: { type: 'PathPrefix', value: '/orders' },
                method: 'GET',
                queryParams: [{ name: 'v', value: '1' }],
              },
            ],
            backends: [
              { url: 'http://127.0.0.1:8080', weight: 3 },
              { service: { name: 'orders', port: 80 } },
            ],
            filters: {
              urlRewrite: { path: { type: 'ReplacePrefixMatch', value: '/' } },
              requestHeaders: { set: [{ name: 'x-env', value: 'prod' }], remove: ['cookie'] },
            },
            timeouts: { request: '10s', backendRequest: '2500ms' },
            retry: { attempts: 1, codes: [503] },
            loadBalancer: 'LeastRequest',
          },
          { matches: [{ path: { type: 'Exact', value: '/v1/chat/completions' } }], ai: { models: ['gpt'] } },
        ],
        passiveHealth: { consecutiveFailures: 3, ejectionTime: '10s' },
        placement: { selector: { matchLabels: { cloud: 'aws' } } },
      }),
    );
    expect(result.ok).toBe(true);
  });

  it('rejects ReplacePrefixMatch on a rule with a regex match', () => {
    const result = validateResource(
      'Route',
      route({
        hostnames: ['api.example.com', '*.example.org'],
        rules: [
          {
            matches: [
              { path: { type: 'PathPrefix', value: '/orders' }, method: 'GET' },
              {
                path: { type: 'RegularExpression', value: '^/o/[0-9]+$' },
                headers: [{ name: 'x-v', value: '2' }],
              },
            ],
            backends: [
              { url: 'http://127.0.0.1:8080', weight: 3 },
              { service: { name: 'orders', port: 80 } },
            ],
            filters: { urlRewrite: { path: { type: 'ReplacePrefixMatch', value: '/' } } },
            timeouts: { request: '10s' },
            retry: { attempts: 1, codes: [503] },
          },
        ],
      }),
    );
    expect(result).toEqual({
      ok: false,
      issues: [expect.objectContaining({ path: '/spec/rules/0/filters/urlRewrite/path/type' })],
    });
  });

  it('names the field of a schema error', () => {
    const result = validateResource(
      'Route',
      route({ rules: [{ backends: [{ url: 'ftp://x', weight: -1 }] }] }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.issues.map((i) => i.path);
    expect(paths).toContain('/spec/rules/0/backends/0/url');
    expect(paths).toContain('/spec/rules/0/backends/0/weight');
  });

  it('rejects unknown fields and lists allowed enum values', () => {
    const result = validateResource(
      'Route',
      route({
        rules: [
          { matches: [{ path: { type: 'Prefix', value: '/' } }], backends: [{ url: 'http://a' }], extra: 1 },
        ],
      }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual(
      expect.arrayContaining([
        {
          path: '/spec/rules/0/matches/0/path/type',
          message: 'must be one of: Exact, PathPrefix, RegularExpression',
        },
        expect.objectContaining({ path: '/spec/rules/0/extra' }),
      ]),
    );
  });

  it('requires exactly one of backends or ai', () => {
    const result = validateResource('Route', route({ rules: [{ matches: [] }] }));
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: '/spec/rules/0',
          message: 'a rule needs exactly one of backends (API traffic) or ai (AI APIs)',
        },
      ],
    });
  });

  it('validates consumers and policies', () => {
    const consumer = {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'Consumer',
      metadata: { name: 'team-a' },
      spec: { apiKeys: [{ name: 'k1', value: 'short' }] },
    };
    const c = validateResource('Consumer', consumer);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.issues[0]?.path).toBe('/spec/apiKeys/0/value');
    const policy = {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'Policy',
      metadata: { name: 'p' },
      spec: { targetRefs: [{ kind: 'Route', name: 'orders' }], rateLimit: { requests: 10, per: 'minute' } },
    };
    expect(validateResource('Policy', policy).ok).toBe(true);
  });

  it('validates AI models and prompt templates', () => {
    const model = {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'AIModel',
      metadata: { name: 'gpt' },
      spec: { targets: [{ provider: 'azure-openai', model: 'gpt-4o' }] },
    };
    expect(validateResource('AIModel', model)).toEqual({
      ok: false,
      issues: [{ path: '/spec/targets/0/endpoint', message: 'azure-openai targets need an endpoint' }],
    });
    const template = {
      apiVersion: 'hubpo.io/v1alpha1',
      kind: 'PromptTemplate',
      metadata: { name: 'greet' },
      spec: {
        model: 'gpt',
        messages: [{ role: 'user', content: 'Hi {{name}} from {{city}}' }],
        variables: [{ name: 'name' }],
      },
    };
    expect(validateResource('PromptTemplate', template)).toEqual({
      ok: false,
      issues: [{ path: '/spec/messages/0/content', message: 'variable "city" is not declared' }],
    });
  });
});
