import { createHash } from 'node:crypto';
import type { KindName } from '@hubpo/api';
import type { KubeObject } from '../kube/kube-client.js';
import { ALLOW_REFERENCES_FROM } from './reference-grant.js';
import { resolveReferences } from './resolve-references.js';
import type { ResolveContext } from './resolve-references.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function secret(
  namespace: string,
  name: string,
  data: Record<string, string>,
  annotations?: Record<string, string>,
): KubeObject {
  return {
    metadata: { name, namespace, ...(annotations === undefined ? {} : { annotations }) },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

function context(
  objects: {
    secrets?: KubeObject[];
    namespaces?: KubeObject[];
    objects?: (KubeObject & { kind: string })[];
  } = {},
): ResolveContext {
  return {
    watches: (ns) => ns !== 'unwatched',
    secret: (ns, name) =>
      objects.secrets?.find((s) => s.metadata.namespace === ns && s.metadata.name === name),
    namespace: (name) => objects.namespaces?.find((n) => n.metadata.name === name),
    object: (kind: KindName, ns, name) =>
      objects.objects?.find(
        (o) => o.kind === kind && o.metadata.namespace === ns && o.metadata.name === name,
      ),
  };
}

const object = (
  kind: string,
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion: 'hubpo.io/v1alpha1',
  kind,
  metadata: {
    name: 'obj',
    namespace: 'shop',
    uid: 'u-1',
    generation: 3,
    resourceVersion: '99',
    creationTimestamp: '2024-01-01T00:00:00Z',
    labels: { team: 'shop' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":true}', note: 'kept' },
    finalizers: ['hubpo.io/cleanup'],
    ...extra,
  },
  spec,
});

describe('resolveReferences', () => {
  it('sends a Consumer key as the SHA-256 of the Secret value, without the reference or the key', () => {
    const consumer = object('Consumer', {
      apiKeys: [{ name: 'main', secretRef: { name: 'keys', key: 'main' } }],
    });
    const r = resolveReferences(
      'Consumer',
      consumer,
      context({ secrets: [secret('shop', 'keys', { main: 'hk_live_123\n' })] }),
    );
    expect(r.conditions).toEqual([]);
    expect(r.body?.['spec']).toEqual({ apiKeys: [{ name: 'main', sha256: sha('hk_live_123') }] });
    expect(JSON.stringify(r.body)).not.toContain('hk_live_123');
    expect(r.dependencies).toEqual(['Secret:shop/keys']);
    expect(r.body?.['metadata']).toEqual({
      name: 'obj',
      namespace: 'shop',
      uid: 'u-1',
      generation: 3,
      creationTimestamp: '2024-01-01T00:00:00Z',
      labels: { team: 'shop' },
      annotations: { note: 'kept' },
    });
  });

  it('reports a missing Secret or key as SecretNotFound and still sends the object with the reference', () => {
    const consumer = object('Consumer', {
      apiKeys: [
        { name: 'a', secretRef: { name: 'absent', key: 'k' } },
        { name: 'b', secretRef: { name: 'keys', key: 'other' } },
      ],
    });
    const r = resolveReferences(
      'Consumer',
      consumer,
      context({ secrets: [secret('shop', 'keys', { main: 'x' })] }),
    );
    expect(r.conditions).toEqual([
      {
        type: 'ResolvedRefs',
        status: 'False',
        reason: 'SecretNotFound',
        message:
          'spec.apiKeys[0].secretRef: Secret shop/absent not found; spec.apiKeys[1].secretRef: Secret shop/keys has no key "other"',
      },
    ]);
    expect(r.body?.['spec']).toEqual(consumer.spec);
    expect(r.dependencies).toEqual(['Secret:shop/absent', 'Secret:shop/keys']);
  });

  it('sends AIModel credentials in secrets.credentials by target index and leaves the spec as it is', () => {
    const model = object('AIModel', {
      targets: [
        { provider: 'mock', model: 'a' },
        { provider: 'openai', model: 'gpt-4o', credentialsRef: { name: 'openai', key: 'api-key' } },
      ],
    });
    const r = resolveReferences(
      'AIModel',
      model,
      context({ secrets: [secret('shop', 'openai', { 'api-key': 'sk-1' })] }),
    );
    expect(r.body?.['secrets']).toEqual({ credentials: [{ target: 1, value: 'sk-1' }] });
    expect(r.body?.['spec']).toEqual(model.spec);
  });

  it('refuses a Secret in another namespace unless the namespace or the Secret grants it', () => {
    const model = object('AIModel', {
      targets: [
        {
          provider: 'openai',
          model: 'gpt-4o',
          credentialsRef: { name: 'openai', namespace: 'vault', key: 'k' },
        },
      ],
    });
    const denied = resolveReferences(
      'AIModel',
      model,
      context({ secrets: [secret('vault', 'openai', { k: 'sk' })] }),
    );
    expect(denied.conditions[0]).toMatchObject({ status: 'False', reason: 'RefNotPermitted' });
    expect(denied.body?.['secrets']).toBeUndefined();
    expect(denied.dependencies).toEqual(['Namespace:vault', 'Secret:vault/openai']);

    const byNamespace = context({
      secrets: [secret('vault', 'openai', { k: 'sk' })],
      namespaces: [{ metadata: { name: 'vault', annotations: { [ALLOW_REFERENCES_FROM]: 'other, shop' } } }],
    });
    expect(resolveReferences('AIModel', model, byNamespace).body?.['secrets']).toEqual({
      credentials: [{ target: 0, value: 'sk' }],
    });
    const bySecret = context({
      secrets: [secret('vault', 'openai', { k: 'sk' }, { [ALLOW_REFERENCES_FROM]: '*' })],
    });
    expect(resolveReferences('AIModel', model, bySecret).conditions).toEqual([]);
  });

  it('says so when a granted Secret lives in a namespace the operator does not watch', () => {
    const model = object('AIModel', {
      targets: [
        {
          provider: 'openai',
          model: 'gpt-4o',
          credentialsRef: { name: 'k', namespace: 'unwatched', key: 'k' },
        },
      ],
    });
    const ctx = context({
      namespaces: [{ metadata: { name: 'unwatched', annotations: { [ALLOW_REFERENCES_FROM]: '*' } } }],
    });
    expect(resolveReferences('AIModel', model, ctx).conditions[0]).toMatchObject({
      reason: 'SecretNotFound',
      message: expect.stringContaining('does not watch'),
    });
  });

  it('gives a Service backend in a namespace that did not grant it no traffic, and withholds a Route left with none', () => {
    const route = object('Route', {
      rules: [
        {
          backends: [
            { service: { name: 'a', port: 80 } },
            { service: { name: 'b', namespace: 'other', port: 80 }, weight: 5 },
          ],
        },
      ],
    });
    const r = resolveReferences('Route', route, context());
    expect(r.conditions[0]).toMatchObject({ reason: 'RefNotPermitted' });
    expect((r.body?.['spec'] as any).rules[0].backends).toEqual([
      { service: { name: 'a', port: 80 } },
      { service: { name: 'b', namespace: 'other', port: 80 }, weight: 0 },
    ]);
    const only = object('Route', {
      rules: [{ backends: [{ service: { name: 'b', namespace: 'other', port: 80 } }] }],
    });
    const withheld = resolveReferences('Route', only, context());
    expect(withheld.body).toBeUndefined();
    expect(withheld.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'ResolvedRefs=False/RefNotPermitted',
      'Accepted=False/RefNotPermitted',
      'Programmed=False/RefNotPermitted',
    ]);
    const granted = context({
      namespaces: [{ metadata: { name: 'other', annotations: { [ALLOW_REFERENCES_FROM]: 'shop' } } }],
    });
    expect(resolveReferences('Route', only, granted).body?.['spec']).toEqual(only.spec);
  });

  it('keeps the Policy targets that are permitted and withholds a Policy with none', () => {
    const policy = object('Policy', {
      targetRefs: [
        { kind: 'Route', name: 'local' },
        { kind: 'Route', name: 'theirs', namespace: 'other' },
      ],
    });
    const r = resolveReferences('Policy', policy, context());
    expect((r.body?.['spec'] as any).targetRefs).toEqual([{ kind: 'Route', name: 'local' }]);
    expect(r.dependencies).toEqual(['Namespace:other', 'Route:other/theirs']);
    const grantedByTarget = context({
      objects: [
        {
          kind: 'Route',
          metadata: { name: 'theirs', namespace: 'other', annotations: { [ALLOW_REFERENCES_FROM]: 'shop' } },
        },
      ],
    });
    expect(
      (resolveReferences('Policy', policy, grantedByTarget).body?.['spec'] as any).targetRefs,
    ).toHaveLength(2);
    const foreignOnly = object('Policy', {
      targetRefs: [{ kind: 'Route', name: 'theirs', namespace: 'other' }],
    });
    expect(resolveReferences('Policy', foreignOnly, context()).body).toBeUndefined();
  });
});
