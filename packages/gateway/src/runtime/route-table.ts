import { PathTrie } from './path-trie.js';
import { PathKind, compareCandidates, firstMatching } from './route-candidate.js';
import type { MatchInput, RouteCandidate } from './route-candidate.js';

/** A route's hostnames (lower case, `*.x.y` wildcards, empty for any) and its compiled matches. */
export interface RouteTableEntry<T> {
  readonly hostnames: readonly string[];
  readonly candidates: readonly RouteCandidate<T>[];
}

/** The candidates of every route that serves one hostname key, indexed by path. */
class HostGroup<T> {
  readonly #exact = new Map<string, RouteCandidate<T>[]>();
  readonly #prefixes = new PathTrie<RouteCandidate<T>>();
  readonly #regexes: RouteCandidate<T>[] = [];

  add(candidate: RouteCandidate<T>): void {
    switch (candidate.pathKind) {
      case PathKind.Exact: {
        const list = this.#exact.get(candidate.pathValue);
        if (list === undefined) this.#exact.set(candidate.pathValue, [candidate]);
        else list.push(candidate);
        break;
      }
      case PathKind.Prefix:
        this.#prefixes.add(candidate.pathValue, candidate);
        break;
      case PathKind.Regex:
        this.#regexes.push(candidate);
        break;
    }
  }

  seal(): void {
    for (const list of this.#exact.values()) list.sort(compareCandidates);
    this.#prefixes.sortLists(compareCandidates);
    this.#regexes.sort(compareCandidates);
  }

  /** Exact paths, then the longest matching prefix, then regular expressions (in precedence order). */
  match(path: string, input: MatchInput): RouteCandidate<T> | null {
    const exact = this.#exact.get(path);
    if (exact !== undefined) {
      const found = firstMatching(exact, input);
      if (found !== null) return found;
    }
    const prefixed = this.#prefixes.find(path, input, firstMatching);
    if (prefixed !== null) return prefixed;
    const regexes = this.#regexes;
    for (let i = 0; i < regexes.length; i++) {
      const candidate = regexes[i]!;
      if (candidate.pathRegex!.test(path) && candidate.matches(input)) return candidate;
    }
    return null;
  }
}

/**
 * The route index of one runtime (Gateway API HTTPRoute matching). Hostnames pick groups in
 * precedence order: the exact host, then wildcards from the longest suffix (`*.a.example.com`
 * before `*.example.com`; a wildcard matches one or more labels but not the bare suffix), then
 * routes without hostnames. Within a group: Exact path, longest PathPrefix, RegularExpression;
 * ties by method, header count, query count, route age, route id, rule index. A group whose
 * rules all miss falls through to the next one. Exact hosts and paths are map lookups and
 * prefixes a segment trie, so the cost of a lookup does not grow with the number of routes;
 * only regular-expression rules of the candidate groups are tested one by one.
 */
export class RouteTable<T> {
  readonly #exactHosts = new Map<string, HostGroup<T>>();
  /** Keyed by the suffix after `*.`. */
  readonly #wildcardHosts = new Map<string, HostGroup<T>>();
  readonly #anyHost = new HostGroup<T>();
  #anyHostUsed = false;

  constructor(entries: Iterable<RouteTableEntry<T>>) {
    for (const entry of entries) {
      const groups =
        entry.hostnames.length === 0 ? [this.#anyHostGroup()] : entry.hostnames.map((h) => this.#group(h));
      for (const group of new Set(groups)) {
        for (const candidate of entry.candidates) group.add(candidate);
      }
    }
    for (const group of this.#exactHosts.values()) group.seal();
    for (const group of this.#wildcardHosts.values()) group.seal();
    this.#anyHost.seal();
  }

  /** `host` normalised (lower case, no port), `path` normalised and starting with "/". */
  match(host: string, path: string, input: MatchInput): RouteCandidate<T> | null {
    if (host !== '') {
      const exact = this.#exactHosts.get(host);
      if (exact !== undefined) {
        const found = exact.match(path, input);
        if (found !== null) return found;
      }
      if (this.#wildcardHosts.size !== 0) {
        const found = this.#matchWildcards(host, path, input);
        if (found !== null) return found;
      }
    }
    return this.#anyHostUsed ? this.#anyHost.match(path, input) : null;
  }

  #matchWildcards(host: string, path: string, input: MatchInput): RouteCandidate<T> | null {
    for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1)) {
      const group = this.#wildcardHosts.get(host.slice(dot + 1));
      if (group === undefined) continue;
      const found = group.match(path, input);
      if (found !== null) return found;
    }
    return null;
  }

  #anyHostGroup(): HostGroup<T> {
    this.#anyHostUsed = true;
    return this.#anyHost;
  }

  #group(hostname: string): HostGroup<T> {
    const wildcard = hostname.startsWith('*.');
    const map = wildcard ? this.#wildcardHosts : this.#exactHosts;
    const key = wildcard ? hostname.slice(2) : hostname;
    let group = map.get(key);
    if (group === undefined) {
      group = new HostGroup<T>();
      map.set(key, group);
    }
    return group;
  }
}
