import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startFakeKube } from '@hubpo/testkit';
import type { FakeKube } from '@hubpo/testkit';
import { testKubeApi } from '../../src/kube/testdata/test-kube-api.js';
import type { TestKubeApi, TestObject } from '../../src/kube/testdata/test-kube-api.js';

const CRD_DIR = join(__dirname, '..', '..', '..', '..', 'crds');
const HUBPO_PLURALS = ['routes', 'aimodels', 'prompttemplates', 'consumers', 'policies'];

/** Where an operator test runs: the fake API server, or the cluster `KUBECONFIG` points at. */
export interface KubeTarget {
  /** The kubeconfig YAML for the operator under test. */
  readonly kubeconfig: string;
  /** A fresh namespace of this test file (`hubpo-test-<random>`). */
  readonly namespace: string;
  readonly api: TestKubeApi;
  /** Set on the fake only: fault injection for `*.fake-only.test.ts` files. */
  readonly fake: FakeKube | undefined;
  /** Another fresh namespace (cleaned up with the target). */
  createNamespace(annotations?: Record<string, string>): Promise<string>;
  /** Removes what the test created (operator finalizers included) and stops the fake. */
  cleanup(): Promise<void>;
}

/**
 * The fake Kubernetes API server (`@hubpo/testkit`), or a real cluster when `KUBECONFIG` is set
 * (unless `fake: true`: fault-injection tests always use the fake). Applies the real CRDs from
 * `crds/`, creates a unique namespace, and cleans both up. Tests then use only the Kubernetes
 * API (`api`), so the same file passes against either.
 */
export async function kubeTarget(options: { fake?: boolean } = {}): Promise<KubeTarget> {
  const kubeconfigPath = process.env['KUBECONFIG'];
  const real = options.fake !== true && kubeconfigPath !== undefined && kubeconfigPath !== '';
  const fake = real ? undefined : await startFakeKube({ bookmarkIntervalMs: 200 });
  const kubeconfig = fake?.kubeconfig() ?? readFileSync((kubeconfigPath ?? '').split(':')[0] ?? '', 'utf8');
  const api = testKubeApi(kubeconfig);
  for (const file of readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    await api.apply(parse(readFileSync(join(CRD_DIR, file), 'utf8')) as TestObject);
  }
  if (real) await waitEstablished(api);
  const namespaces: string[] = [];
  const createNamespace = async (annotations: Record<string, string> = {}): Promise<string> => {
    const name = `hubpo-test-${randomBytes(4).toString('hex')}`;
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } });
    namespaces.push(name);
    return name;
  };
  const namespace = await createNamespace();
  return {
    kubeconfig,
    namespace,
    api,
    fake,
    createNamespace,
    cleanup: async () => {
      if (fake !== undefined) {
        await fake.stop();
        return;
      }
      for (const ns of namespaces) await removeNamespace(api, ns);
    },
  };
}

/** Drops the operator's finalizers (it may be stopped already), then the namespace. */
async function removeNamespace(api: TestKubeApi, namespace: string): Promise<void> {
  for (const plural of HUBPO_PLURALS) {
    const kind = kindOf(plural);
    for (const item of await api.list('hubpo.io/v1alpha1', kind, namespace)) {
      await api.merge('hubpo.io/v1alpha1', kind, namespace, String(item.metadata?.name), {
        metadata: { finalizers: null },
      });
    }
  }
  await api.delete('v1', 'Namespace', undefined, namespace);
}

function kindOf(plural: string): string {
  return {
    routes: 'Route',
    aimodels: 'AIModel',
    prompttemplates: 'PromptTemplate',
    consumers: 'Consumer',
    policies: 'Policy',
  }[plural] as string;
}

async function waitEstablished(api: TestKubeApi): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const plural of HUBPO_PLURALS) {
    for (;;) {
      const crd = await api.get(
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        undefined,
        `${plural}.hubpo.io`,
      );
      const conditions =
        (crd?.['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ??
        [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${plural}.hubpo.io not established`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
