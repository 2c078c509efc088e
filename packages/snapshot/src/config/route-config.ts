/*
 * The typed config payloads a snapshot carries, one per resource (translator output, gateway
 * input). Everything here is already validated, defaulted and resolved: a gateway compiles it
 * without having to reject anything a user wrote. Ids are `<namespace>/<name>`. Durations are
 * milliseconds. Payloads are plain JSON; changing a field's meaning is a wire change.
 */

export type PathMatchType = 'Exact' | 'PathPrefix' | 'RegularExpression';
export type ValueMatchType = 'Exact' | 'RegularExpression';

export interface ValueMatchConfig {
  readonly type: ValueMatchType;
  /** Header names are lowercase; query parameter names keep their case. */
  readonly name: string;
  readonly value: string;
}

export interface MatchConfig {
  /** A rule without matches gets one `PathPrefix "/"` match. */
  readonly path: { readonly type: PathMatchType; readonly value: string };
  /** Uppercase method, or null for any. */
  readonly method: string | null;
  readonly headers: readonly ValueMatchConfig[];
  readonly queryParams: readonly ValueMatchConfig[];
}

export interface BackendConfig {
  /** Stable id (the origin URL) so counters and health survive snapshot swaps. */
  readonly id: string;
  /** `http(s)://host:port` with an optional base path, no trailing slash. */
  readonly url: string;
  readonly weight: number;
}

export interface HeaderModifierConfig {
  /** Lowercase names. */
  readonly set: readonly { readonly name: string; readonly value: string }[];
  readonly add: readonly { readonly name: string; readonly value: string }[];
  readonly remove: readonly string[];
}

export interface UrlRewriteConfig {
  readonly hostname: string | null;
  readonly path: { readonly type: 'ReplaceFullPath' | 'ReplacePrefixMatch'; readonly value: string } | null;
}

export type LoadBalancerType = 'RoundRobin' | 'Random' | 'LeastRequest';

export type RuleAction =
  | {
      readonly kind: 'proxy';
      readonly backends: readonly BackendConfig[];
      readonly loadBalancer: LoadBalancerType;
    }
  | {
      readonly kind: 'ai';
      /** AIModel names served under this rule; null means every AIModel in the snapshot. */
      readonly models: readonly string[] | null;
    };

export interface RouteRuleConfig {
  /** Position in the Route's rules, part of precedence and of metric labels. */
  readonly index: number;
  readonly name: string | null;
  readonly matches: readonly MatchConfig[];
  readonly action: RuleAction;
  readonly requestHeaders: HeaderModifierConfig | null;
  readonly responseHeaders: HeaderModifierConfig | null;
  readonly urlRewrite: UrlRewriteConfig | null;
  readonly timeouts: {
    readonly requestMs: number;
    readonly backendRequestMs: number;
    readonly connectMs: number;
  };
  readonly retry: {
    /** Retries after the first try. */
    readonly attempts: number;
    readonly backoffMs: number;
    /** Status codes retried for idempotent methods; connect failures are always retried. */
    readonly codes: readonly number[];
  };
}

export interface RouteConfig {
  readonly kind: 'route';
  readonly id: string;
  readonly generation: number;
  /** RFC 3339; the older Route wins a precedence tie (Gateway API). */
  readonly createdAt: string;
  /** Lowercase; `*.example.com` wildcards; empty means any host. */
  readonly hostnames: readonly string[];
  readonly rules: readonly RouteRuleConfig[];
  readonly passiveHealth: { readonly consecutiveFailures: number; readonly ejectionMs: number };
}
