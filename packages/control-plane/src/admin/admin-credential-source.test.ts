import { randomBytes } from 'node:crypto';
import { credentialKey } from '@hubpo/translator';
import type { TranslateResult } from '@hubpo/translator';
import { SecretBox } from '../clusters/secret-box.js';
import { createLogger } from '../logger.js';
import type { CredentialSource } from '../pipeline/config-pipeline.js';
import type { StoredResource } from '../store/resource-store.js';
import { AdminCredentialSource } from './admin-credential-source.js';
import type { AdminSecretStore, OpenedSecretValue } from './admin-secret-store.js';

function aiModel(name: string, originCluster: string | null, refs: (object | undefined)[]): StoredResource {
  return {
    kind: 'AIModel',
    namespace: 'ai',
    name,
    uid: name,
    generation: 1,
    resourceVersion: 1,
    labels: {},
    annotations: {},
    spec: {
      targets: refs.map((credentialsRef, i) => ({
        provider: 'openai',
        model: `m${i}`,
        ...(credentialsRef === undefined ? {} : { credentialsRef }),
      })),
    },
    status: {},
    originCluster,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
}

function secrets(values: OpenedSecretValue[]): AdminSecretStore {
  return { openAll: () => Promise.resolve(values) } as unknown as AdminSecretStore;
}

const logger = createLogger('silent');
const VALUES: OpenedSecretValue[] = [
  { namespace: 'ai', name: 'openai', key: 'api-key', value: 'sk-one' },
  { namespace: 'shared', name: 'keys', key: 'openai', value: 'sk-two' },
];

describe('AdminCredentialSource', () => {
  const dataplaneKey = randomBytes(32);
  const dataplane = new SecretBox(dataplaneKey);

  it('resolves credentialsRef of admin-API AIModels, sealed for gateways, by target index', async () => {
    const source = new AdminCredentialSource({
      vault: undefined,
      secrets: secrets(VALUES),
      dataplane,
      logger,
    });
    const loaded = await source.load([
      aiModel('chat', null, [
        { name: 'openai', key: 'api-key' },
        undefined,
        { name: 'keys', namespace: 'shared', key: 'openai' },
        { name: 'missing', key: 'api-key' },
      ]),
      aiModel('from-operator', 'east', [{ name: 'openai', key: 'api-key' }]),
    ]);
    expect([...loaded.credentials.keys()].sort()).toEqual([
      credentialKey('ai', 'chat', 0),
      credentialKey('ai', 'chat', 2),
    ]);
    const sealed = loaded.credentials.get(credentialKey('ai', 'chat', 0))!;
    expect(sealed).not.toContain('sk-one');
    expect(dataplane.open(sealed)).toBe('sk-one');
    expect(dataplane.open(loaded.credentials.get(credentialKey('ai', 'chat', 2))!)).toBe('sk-two');
    // Stable: the same value seals the same way, so an unchanged secret keeps the snapshot hash.
    const again = await source.load([aiModel('chat', null, [{ name: 'openai', key: 'api-key' }])]);
    expect(again.credentials.get(credentialKey('ai', 'chat', 0))).toBe(sealed);
  });

  it("keeps the operators' vault credentials and explanations", async () => {
    const vault: CredentialSource = {
      load: () =>
        Promise.resolve({
          credentials: new Map([[credentialKey('ai', 'from-operator', 0), 'vault-sealed']]),
          explain: (r: TranslateResult) => ({ ...r, objects: [] }),
        }),
    };
    const source = new AdminCredentialSource({ vault, secrets: secrets(VALUES), dataplane, logger });
    const loaded = await source.load([
      aiModel('chat', null, [{ name: 'openai', key: 'api-key' }]),
      aiModel('from-operator', 'east', [{ name: 'x', key: 'y' }]),
    ]);
    expect(loaded.credentials.get(credentialKey('ai', 'from-operator', 0))).toBe('vault-sealed');
    expect(loaded.credentials.has(credentialKey('ai', 'chat', 0))).toBe(true);
    expect(loaded.explain?.({ objects: [{} as never], statuses: [] }).objects).toEqual([]);
  });

  it('says why a held secret is not delivered when HUBPO_DATAPLANE_KEY is missing', async () => {
    const source = new AdminCredentialSource({
      vault: undefined,
      secrets: secrets(VALUES),
      dataplane: undefined,
      logger,
    });
    const loaded = await source.load([aiModel('chat', null, [{ name: 'openai', key: 'api-key' }])]);
    expect(loaded.credentials.size).toBe(0);
    const result = loaded.explain!({
      objects: [],
      statuses: [
        {
          kind: 'AIModel',
          namespace: 'ai',
          name: 'chat',
          generation: 1,
          conditions: [
            {
              type: 'ResolvedRefs',
              status: 'False',
              reason: 'SecretNotFound',
              message: 'missing',
              observedGeneration: 1,
            },
          ],
        },
      ],
    });
    expect(result.statuses[0]!.conditions[0]!.message).toContain('HUBPO_DATAPLANE_KEY is not set');
  });
});
