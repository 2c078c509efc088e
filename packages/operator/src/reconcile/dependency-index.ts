/**
 * Which objects depend on which Secrets, Namespaces and objects (`Secret:ns/name`,
 * `Namespace:ns`, `Route:ns/name`), as the last reconcile of each object found: a change of a
 * dependency re-reconciles every object that used it.
 */
export class DependencyIndex {
  readonly #byObject = new Map<string, readonly string[]>();
  readonly #byDependency = new Map<string, Set<string>>();

  set(key: string, dependencies: readonly string[]): void {
    this.remove(key);
    this.#byObject.set(key, dependencies);
    for (const dep of dependencies) {
      let keys = this.#byDependency.get(dep);
      if (keys === undefined) {
        keys = new Set();
        this.#byDependency.set(dep, keys);
      }
      keys.add(key);
    }
  }

  remove(key: string): void {
    for (const dep of this.#byObject.get(key) ?? []) {
      const keys = this.#byDependency.get(dep);
      keys?.delete(key);
      if (keys?.size === 0) this.#byDependency.delete(dep);
    }
    this.#byObject.delete(key);
  }

  dependents(dependency: string): string[] {
    return [...(this.#byDependency.get(dependency) ?? [])];
  }
}
