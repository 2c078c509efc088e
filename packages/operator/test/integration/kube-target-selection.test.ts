/**
 * How operator tests choose between the fake API server and a real cluster, and how they read a
 * real cluster's kubeconfig. Hermetic (no cluster, no files); lives here because the harness does.
 */
import { delimiter, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { mergeKubeconfigs, selectKubeTarget } from '../support/kube-target-selection.js';

describe('selectKubeTarget', () => {
  it('uses the fake API server unless KUBECONFIG names a file', () => {
    expect(selectKubeTarget({})).toEqual({ kind: 'fake' });
    expect(selectKubeTarget({ KUBECONFIG: '' })).toEqual({ kind: 'fake' });
    expect(selectKubeTarget({ KUBECONFIG: `${delimiter} ` })).toEqual({ kind: 'fake' });
    expect(selectKubeTarget({ HOME: '/home/dev' })).toEqual({ kind: 'fake' });
  });

  it('uses the cluster KUBECONFIG points at, every file of it in order, applying the CRDs', () => {
    expect(selectKubeTarget({ KUBECONFIG: `/k/a${delimiter}/k/b` })).toEqual({
      kind: 'real',
      kubeconfigPaths: ['/k/a', '/k/b'],
      applyCrds: true,
    });
    expect(selectKubeTarget({ KUBECONFIG: '/k/a', HUBPO_TEST_KUBE: 'kubeconfig' })).toMatchObject({
      kind: 'real',
    });
  });

  it('keeps fault-injection tests and HUBPO_TEST_KUBE=fake on the fake even with KUBECONFIG set', () => {
    expect(selectKubeTarget({ KUBECONFIG: '/k/a' }, { fake: true })).toEqual({ kind: 'fake' });
    expect(selectKubeTarget({ KUBECONFIG: '/k/a', HUBPO_TEST_KUBE: 'Fake' })).toEqual({ kind: 'fake' });
  });

  it('skips applying CRDs when told they are installed already', () => {
    for (const value of ['false', '0', 'no', 'FALSE']) {
      expect(selectKubeTarget({ KUBECONFIG: '/k/a', HUBPO_TEST_APPLY_CRDS: value })).toMatchObject({
        applyCrds: false,
      });
    }
    expect(selectKubeTarget({ KUBECONFIG: '/k/a', HUBPO_TEST_APPLY_CRDS: 'true' })).toMatchObject({
      applyCrds: true,
    });
  });

  it('refuses a misspelt HUBPO_TEST_KUBE and HUBPO_TEST_KUBE=kubeconfig without KUBECONFIG', () => {
    expect(() => selectKubeTarget({ KUBECONFIG: '/k/a', HUBPO_TEST_KUBE: 'real' })).toThrow(
      /HUBPO_TEST_KUBE/,
    );
    expect(() => selectKubeTarget({ HUBPO_TEST_KUBE: 'kubeconfig' })).toThrow(/needs KUBECONFIG/);
  });
});

describe('mergeKubeconfigs', () => {
  const kind = {
    path: '/home/dev/.kube/kind.yaml',
    yaml: stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'kind', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': 'ca.crt' } },
      ],
      users: [{ name: 'kind', user: { 'client-certificate': 'certs/me.crt', 'client-key': '/abs/me.key' } }],
      contexts: [{ name: 'kind', context: { cluster: 'kind', user: 'kind' } }],
      'current-context': '',
    }),
  };
  const other = {
    path: 'relative/other.yaml',
    yaml: stringify({
      clusters: [{ name: 'kind', cluster: { server: 'https://shadowed:6443' } }],
      users: [{ name: 'k3d', user: { tokenFile: 'token' } }],
      contexts: [
        { name: 'k3d', context: { cluster: 'kind', user: 'k3d' } },
        { name: 'kind', context: { cluster: 'shadowed', user: 'shadowed' } },
      ],
      'current-context': 'kind',
    }),
  };

  it('merges like kubectl: first definition and first current-context win; file paths made absolute', () => {
    const merged = parse(mergeKubeconfigs([kind, other])) as Record<string, any>;
    expect(merged['current-context']).toBe('kind');
    expect(merged['clusters']).toEqual([
      {
        name: 'kind',
        cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': '/home/dev/.kube/ca.crt' },
      },
    ]);
    expect(merged['users']).toEqual([
      {
        name: 'kind',
        user: { 'client-certificate': '/home/dev/.kube/certs/me.crt', 'client-key': '/abs/me.key' },
      },
      { name: 'k3d', user: { tokenFile: join(resolve('relative'), 'token') } },
    ]);
    expect(merged['contexts'].map((c: any) => c.name)).toEqual(['kind', 'k3d']);
    expect(merged['contexts'][0].context).toEqual({ cluster: 'kind', user: 'kind' });
  });

  it('refuses a kubeconfig without a usable current context', () => {
    expect(() => mergeKubeconfigs([kind])).toThrow(/no current-context/);
    const dangling = { path: '/k/x', yaml: stringify({ contexts: [], 'current-context': 'gone' }) };
    expect(() => mergeKubeconfigs([dangling])).toThrow(/"gone" is not defined/);
  });
});
