import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { API_VERSION, GROUP, KINDS, KIND_NAMES } from '@hubpo/api';
import { startFakeKube } from '@hubpo/testkit';
import type { FakeKube } from '@hubpo/testkit';
import { testKubeApi } from '../../src/kube/testdata/test-kube-api.js';
import type { TestKubeApi, TestObject } from '../../src/kube/testdata/test-kube-api.js';
import { mergeKubeconfigs, selectKubeTarget } from './kube-target-selection.js';

const CRD_DIR = join(__dirname, '..', '..', '..', '..', 'crds');

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
 * (see `selectKubeTarget`; `fake: true` for fault-injection tests, which always use the fake).
 * Applies the real CRDs from `crds/` and waits until they are established, creates a unique
 * namespace, and cleans up what it created, also when setting up fails half-way. Tests then use
 * only the Kubernetes API (`api`), so the same file passes against either.
 */
export async function kubeTarget(options: { fake?: boolean } = {}): Promise<KubeTarget> {
  const choice = selectKubeTarget(process.env, options);
  const fake = choice.kind === 'fake' ? await startFakeKube({ bookmarkIntervalMs: 200 }) : undefined;
  const kubeconfig =
    fake !== undefined
      ? fake.kubeconfig()
      : mergeKubeconfigs(
          (choice.kind === 'real' ? choice.kubeconfigPaths : []).map((path) => ({
            path,
            yaml: readFileSync(path, 'utf8'),
          })),
        );
  const api = testKubeApi(kubeconfig);
  const namespaces: string[] = [];
  const cleanup = async (): Promise<void> => {
    if (fake !== undefined) {
      await fake.stop();
      return;
    }
    // Every namespace gets its chance; the first failure is reported after.
    const failures: unknown[] = [];
    for (const ns of namespaces.splice(0)) await removeNamespace(api, ns).catch((err) => failures.push(err));
    if (failures.length > 0) throw failures[0];
  };
  const createNamespace = async (annotations: Record<string, string> = {}): Promise<string> => {
    const name = `hubpo-test-${randomBytes(4).toString('hex')}`;
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } });
    namespaces.push(name);
    return name;
  };
  try {
    if (choice.kind === 'fake' || choice.applyCrds) {
      for (const file of readdirSync(CRD_DIR)
        .filter((f) => f.endsWith('.yaml'))
        .sort()) {
        await api.apply(parse(readFileSync(join(CRD_DIR, file), 'utf8')) as TestObject);
      }
    }
    if (choice.kind === 'real') await waitEstablished(api);
    const namespace = await createNamespace();
    return { kubeconfig, namespace, api, fake, createNamespace, cleanup };
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}

/** Drops the operator's finalizers (it may be stopped already), then the namespace. */
async function removeNamespace(api: TestKubeApi, namespace: string): Promise<void> {
  for (const kind of KIND_NAMES) {
    for (const item of await api.list(API_VERSION, kind, namespace)) {
      if ((item.metadata?.finalizers ?? []).length === 0) continue;
      await api.merge(API_VERSION, kind, namespace, String(item.metadata?.name), {
        metadata: { finalizers: null },
      });
    }
  }
  // The namespace terminates in the background; its Lease, Secrets and Events go with it.
  await api.delete('v1', 'Namespace', undefined, namespace);
}

async function waitEstablished(api: TestKubeApi): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const plural of KIND_NAMES.map((k) => KINDS[k].plural)) {
    for (;;) {
      const crd = await api.get(
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        undefined,
        `${plural}.${GROUP}`,
      );
      const conditions =
        (crd?.['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ??
        [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${plural}.${GROUP} not established`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
