import { API_VERSION, KINDS, KIND_NAMES } from '@hubpo/api';
import type { TestKubeApi } from '../../../packages/operator/src/kube/testdata/test-kube-api.js';

/**
 * The journeys' view of Kubernetes, by resource plural (`routes`, `secrets`, ...), on the
 * operator tests' client (@kubernetes/client-node with the target's kubeconfig: TLS, tokens and
 * client certificates of a real cluster, plain HTTP of the fake). `get` answers undefined for a
 * missing object; every other failure throws.
 */
export class KubeObjects {
  constructor(readonly api: TestKubeApi) {}

  create(_plural: string, object: any): Promise<any> {
    return this.api.create(object);
  }

  get(plural: string, namespace: string, name: string): Promise<any> {
    const { apiVersion, kind } = typeOf(plural);
    return this.api.get(apiVersion, kind, namespace, name);
  }

  merge(plural: string, namespace: string, name: string, patch: Record<string, unknown>): Promise<any> {
    const { apiVersion, kind } = typeOf(plural);
    return this.api.merge(apiVersion, kind, namespace, name, patch);
  }

  /** Deletes (an object with finalizers is only marked); false when it did not exist. */
  delete(plural: string, namespace: string, name: string): Promise<boolean> {
    const { apiVersion, kind } = typeOf(plural);
    return this.api.delete(apiVersion, kind, namespace, name);
  }
}

function typeOf(plural: string): { apiVersion: string; kind: string } {
  if (plural === 'secrets') return { apiVersion: 'v1', kind: 'Secret' };
  const kind = KIND_NAMES.find((k) => KINDS[k].plural === plural);
  if (kind === undefined) throw new Error(`no hubpo.io kind with plural "${plural}"`);
  return { apiVersion: API_VERSION, kind };
}
