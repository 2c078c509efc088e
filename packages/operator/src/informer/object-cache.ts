import type { KubeObject } from '../kube/kube-client.js';

/** `namespace/name` (`name` alone for cluster-scoped objects): the key of caches and work queues. */
export function cacheKey(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

export function keyOf(object: KubeObject): string {
  return cacheKey(object.metadata.namespace, object.metadata.name);
}

/** The objects an informer knows, by key; replaced namespace by namespace on relist. */
export class ObjectCache {
  readonly #objects = new Map<string, KubeObject>();

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#objects.get(cacheKey(namespace, name));
  }

  getByKey(key: string): KubeObject | undefined {
    return this.#objects.get(key);
  }

  list(namespace?: string): KubeObject[] {
    const all = [...this.#objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  keys(): string[] {
    return [...this.#objects.keys()];
  }

  /** Stores the object; returns the one it replaced. */
  set(object: KubeObject): KubeObject | undefined {
    const key = keyOf(object);
    const previous = this.#objects.get(key);
    this.#objects.set(key, object);
    return previous;
  }

  delete(object: KubeObject): KubeObject | undefined {
    const key = keyOf(object);
    const previous = this.#objects.get(key);
    this.#objects.delete(key);
    return previous;
  }

  /** Objects of a namespace (all of them for `undefined`). */
  inScope(namespace: string | undefined): KubeObject[] {
    return namespace === undefined ? [...this.#objects.values()] : this.list(namespace);
  }
}
