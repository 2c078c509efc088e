import type { IncomingHttpHeaders } from 'node:http';

/** What the matcher reads from a request besides host and path. */
export interface MatchInput {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** First value of a query parameter, decoded; null when absent. Parsed once, on first use. */
  queryParam(name: string): string | null;
}

/** Path match kinds in precedence order (Gateway API: Exact, then PathPrefix; RegularExpression last here). */
export const PathKind = Object.freeze({ Exact: 0, Prefix: 1, Regex: 2 });
export type PathKind = (typeof PathKind)[keyof typeof PathKind];

/** One header or query condition: an exact value, or a regular expression matching the whole value. */
export class ValueCondition {
  readonly name: string;
  readonly #exact: string | null;
  readonly #regex: RegExp | null;

  constructor(name: string, exact: string | null, regex: RegExp | null) {
    this.name = name;
    this.#exact = exact;
    this.#regex = regex;
  }

  test(value: string | null | undefined): boolean {
    if (value === null || value === undefined) return false;
    return this.#regex === null ? value === this.#exact : this.#regex.test(value);
  }
}

/** Where a candidate came from, for the Gateway API tie-breaks. */
export interface CandidateOrigin {
  /** Route creation time, epoch ms: the older route wins a tie. */
  readonly createdAt: number;
  readonly routeId: string;
  readonly ruleIndex: number;
  readonly matchIndex: number;
}

/**
 * One match of one rule, compiled. `target` is what a request that selects it is served by
 * (the compiled rule); the index keys candidates by path, so `matches` only checks method,
 * headers and query.
 */
export class RouteCandidate<T> {
  readonly target: T;
  readonly pathKind: PathKind;
  /** Exact: the path; Prefix: the prefix without its trailing slash ('' for "/"); Regex: the source. */
  readonly pathValue: string;
  /** Regex kind only, anchored to the whole path. */
  readonly pathRegex: RegExp | null;
  readonly method: string | null;
  readonly headers: readonly ValueCondition[];
  readonly query: readonly ValueCondition[];
  readonly origin: CandidateOrigin;

  constructor(
    target: T,
    path: { readonly kind: PathKind; readonly value: string; readonly regex: RegExp | null },
    conditions: {
      readonly method: string | null;
      readonly headers: readonly ValueCondition[];
      readonly query: readonly ValueCondition[];
    },
    origin: CandidateOrigin,
  ) {
    this.target = target;
    this.pathKind = path.kind;
    this.pathValue = path.value;
    this.pathRegex = path.regex;
    this.method = conditions.method;
    this.headers = conditions.headers;
    this.query = conditions.query;
    this.origin = origin;
  }

  matches(input: MatchInput): boolean {
    if (this.method !== null && this.method !== input.method) return false;
    const headers = this.headers;
    for (let i = 0; i < headers.length; i++) {
      const condition = headers[i]!;
      const value = input.headers[condition.name];
      if (!condition.test(typeof value === 'string' ? value : value?.join(', '))) return false;
    }
    const query = this.query;
    for (let i = 0; i < query.length; i++) {
      const condition = query[i]!;
      if (!condition.test(input.queryParam(condition.name))) return false;
    }
    return true;
  }
}

/**
 * Gateway API HTTPRoute precedence among candidates of the same path kind and path length:
 * a method match, then more header matches, then more query matches, then the older route,
 * then the route id alphabetically, then the rule's (and match's) position.
 */
export function compareCandidates<T>(a: RouteCandidate<T>, b: RouteCandidate<T>): number {
  if ((a.method === null) !== (b.method === null)) return a.method === null ? 1 : -1;
  if (a.headers.length !== b.headers.length) return b.headers.length - a.headers.length;
  if (a.query.length !== b.query.length) return b.query.length - a.query.length;
  if (a.origin.createdAt !== b.origin.createdAt) return a.origin.createdAt - b.origin.createdAt;
  if (a.origin.routeId !== b.origin.routeId) return a.origin.routeId < b.origin.routeId ? -1 : 1;
  if (a.origin.ruleIndex !== b.origin.ruleIndex) return a.origin.ruleIndex - b.origin.ruleIndex;
  return a.origin.matchIndex - b.origin.matchIndex;
}

/** The first candidate of a sorted list whose conditions hold, or null. */
export function firstMatching<T>(
  list: readonly RouteCandidate<T>[],
  input: MatchInput,
): RouteCandidate<T> | null {
  for (let i = 0; i < list.length; i++) {
    const candidate = list[i]!;
    if (candidate.matches(input)) return candidate;
  }
  return null;
}
