/**
 * Test-only (excluded from the build): a generic Kubernetes client for operator tests, on
 * @kubernetes/client-node's discovery-driven KubernetesObjectApi, so the same test drives the
 * fake API server or a real cluster. Lives under `src/kube/` because only this folder may import
 * client-node.
 */
import { ApiException, KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';

export type TestObject = KubernetesObject & Record<string, unknown>;

export interface TestKubeApi {
  create(object: TestObject): Promise<TestObject>;
  /** Server-side apply (forced) as `hubpo-tests`: create or update to exactly this content. */
  apply(object: TestObject): Promise<TestObject>;
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<TestObject | undefined>;
  /** JSON merge patch of the object. */
  merge(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<TestObject>;
  /** Deletes; true when it existed. */
  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<boolean>;
  list(apiVersion: string, kind: string, namespace?: string, fieldSelector?: string): Promise<TestObject[]>;
}

export function testKubeApi(kubeconfigYaml: string): TestKubeApi {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml);
  let objects = KubernetesObjectApi.makeApiClient(kc);
  const header = (apiVersion: string, kind: string, namespace: string | undefined, name: string) => ({
    apiVersion,
    kind,
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
  });
  return {
    create: async (object) => (await objects.create(object)) as TestObject,
    apply: async (object) => {
      const applied = (await objects.patch(
        object,
        undefined,
        undefined,
        'hubpo-tests',
        true,
        PatchStrategy.ServerSideApply,
      )) as TestObject;
      // A new CRD adds resources discovery must see: start with a fresh discovery cache.
      if (object.kind === 'CustomResourceDefinition') objects = KubernetesObjectApi.makeApiClient(kc);
      return applied;
    },
    get: async (apiVersion, kind, namespace, name) => {
      try {
        return (await objects.read(header(apiVersion, kind, namespace, name))) as TestObject;
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return undefined;
        throw err;
      }
    },
    merge: async (apiVersion, kind, namespace, name, patch) =>
      (await objects.patch(
        {
          ...patch,
          apiVersion,
          kind,
          metadata: {
            ...(patch['metadata'] as object | undefined),
            ...header(apiVersion, kind, namespace, name).metadata,
          },
        } as TestObject,
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      )) as TestObject,
    delete: async (apiVersion, kind, namespace, name) => {
      try {
        await objects.delete(header(apiVersion, kind, namespace, name));
        return true;
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return false;
        throw err;
      }
    },
    list: async (apiVersion, kind, namespace, fieldSelector) =>
      (await objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, fieldSelector))
        .items as TestObject[],
  };
}
