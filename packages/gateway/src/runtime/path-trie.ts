class TrieNode<V> {
  children: Map<string, TrieNode<V>> | null = null;
  values: V[] | null = null;
}

/**
 * PathPrefix index: a trie of path segments, so `/foo` matches `/foo`, `/foo/` and `/foo/bar`
 * but not `/foobar` (Gateway API: prefixes match element by element), and a lookup costs one
 * map probe per path segment whatever the number of prefixes.
 */
export class PathTrie<V> {
  readonly #root = new TrieNode<V>();
  /** Nodes along the last lookup, root first; reused (lookups are synchronous). */
  readonly #trail: TrieNode<V>[] = [];

  /** `prefix` without a trailing slash: '' for "/", else `/a/b`. */
  add(prefix: string, value: V): void {
    let node = this.#root;
    if (prefix !== '') {
      for (const segment of prefix.slice(1).split('/')) {
        node.children ??= new Map();
        let child = node.children.get(segment);
        if (child === undefined) {
          child = new TrieNode<V>();
          node.children.set(segment, child);
        }
        node = child;
      }
    }
    (node.values ??= []).push(value);
  }

  /** Sorts every value list once, after the last `add`. */
  sortLists(compare: (a: V, b: V) => number): void {
    const stack: TrieNode<V>[] = [this.#root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      node.values?.sort(compare);
      if (node.children !== null) for (const child of node.children.values()) stack.push(child);
    }
  }

  /**
   * Calls `pick` with the value list of every prefix matching `path` (which starts with "/"),
   * longest prefix first, and returns the first non-null answer.
   */
  find<A, R>(path: string, arg: A, pick: (values: readonly V[], arg: A) => R | null): R | null {
    const trail = this.#trail;
    trail.length = 0;
    let node: TrieNode<V> | undefined = this.#root;
    trail.push(node);
    let start = 1;
    while (node.children !== null) {
      const end = path.indexOf('/', start);
      node = node.children.get(end === -1 ? path.slice(start) : path.slice(start, end));
      if (node === undefined) break;
      trail.push(node);
      if (end === -1) break;
      start = end + 1;
    }
    for (let i = trail.length - 1; i >= 0; i--) {
      const values = trail[i]!.values;
      if (values === null) continue;
      const found = pick(values, arg);
      if (found !== null) return found;
    }
    return null;
  }
}
