/*
 * The intermediate representation: what the translator knows about the resources placed in one
 * cluster after references are resolved, defaults applied, regexes compiled, URLs parsed and
 * conflicts settled. Only accepted objects reach the IR. Every list is sorted by id and every
 * value is canonical, so equal inputs give equal IR whatever the input order. The leaves reuse
 * the wire shapes of `@hubpo/snapshot` where the two agree.
 */
import type { KindName } from '@hubpo/api';
import type {
  AICredentialsConfig,
  AILoggingConfig,
  AIStrategy,
  AITargetConfig,
  ApiKeyAuthConfig,
  HeaderModifierConfig,
  LoadBalancerType,
  MatchConfig,
  PolicyTarget,
  RateLimitConfig,
  UrlRewriteConfig,
} from '@hubpo/snapshot';

export interface IrMeta {
  readonly kind: KindName;
  readonly namespace: string;
  readonly name: string;
  /** `<namespace>/<name>`, the id of the config object. */
  readonly id: string;
  readonly generation: number;
  /** creationTimestamp normalized to `Date#toISOString` form, so strings order like instants. */
  readonly createdAt: string;
  /** creationTimestamp in epoch ms: the older object wins conflicts. */
  readonly createdMs: number;
}

export interface IrBackend {
  /** Normalized origin URL (`http(s)://host:port[/base]`), also the backend id. */
  readonly url: string;
  /** Above 0: backends of weight 0 never reach the IR. */
  readonly weight: number;
}

export type IrRuleAction =
  | {
      readonly kind: 'proxy';
      readonly backends: readonly IrBackend[];
      readonly loadBalancer: LoadBalancerType;
    }
  /** Model names that exist in the cluster; null means every AIModel. */
  | { readonly kind: 'ai'; readonly models: readonly string[] | null };

export interface IrRouteRule {
  readonly index: number;
  readonly name: string | null;
  readonly matches: readonly MatchConfig[];
  readonly action: IrRuleAction;
  readonly requestHeaders: HeaderModifierConfig | null;
  readonly responseHeaders: HeaderModifierConfig | null;
  readonly urlRewrite: UrlRewriteConfig | null;
  readonly timeouts: {
    readonly requestMs: number;
    readonly backendRequestMs: number;
    readonly connectMs: number;
  };
  readonly retry: {
    readonly attempts: number;
    readonly backoffMs: number;
    readonly codes: readonly number[];
  };
}

export interface IrRoute {
  readonly kind: 'Route';
  readonly meta: IrMeta;
  readonly hostnames: readonly string[];
  readonly rules: readonly IrRouteRule[];
  readonly passiveHealth: { readonly consecutiveFailures: number; readonly ejectionMs: number };
}

export interface IrAIModel {
  readonly kind: 'AIModel';
  readonly meta: IrMeta;
  /** The client-facing model name (`metadata.name`), unique among the IR's AIModels. */
  readonly modelName: string;
  readonly strategy: AIStrategy;
  /** In spec order; targets whose credential is unavailable are left out. */
  readonly targets: readonly AITargetConfig[];
  readonly retry: { readonly attempts: number; readonly backoffMs: number };
  readonly timeouts: { readonly requestMs: number; readonly firstTokenMs: number };
  readonly limits: { readonly contextWindow: number | null; readonly maxOutputTokens: number | null };
  readonly unsupportedFields: 'Reject' | 'Drop';
}

export interface IrPromptTemplate {
  readonly kind: 'PromptTemplate';
  readonly meta: IrMeta;
  /** Model names the template and its variants use that exist in the cluster. */
  readonly models: readonly string[];
}

export interface IrConsumer {
  readonly kind: 'Consumer';
  readonly meta: IrMeta;
  /** Sorted by name; each hash belongs to this consumer only. */
  readonly apiKeys: readonly { readonly name: string; readonly sha256: string }[];
  readonly allowedModels: readonly string[] | null;
  readonly allowedRoutes: readonly string[] | null;
}

export interface IrPolicy {
  readonly kind: 'Policy';
  readonly meta: IrMeta;
  /** Targets present in the IR, sorted by kind then id. */
  readonly targets: readonly PolicyTarget[];
  readonly authentication: { readonly apiKey: ApiKeyAuthConfig | null } | null;
  readonly rateLimit: RateLimitConfig | null;
  /** Present only when the policy logs prompts or completions. */
  readonly aiLogging?: AILoggingConfig;
  /** Present only when the policy allows provider-key pass-through. */
  readonly aiCredentials?: AICredentialsConfig;
}

export type IrObject = IrRoute | IrAIModel | IrPromptTemplate | IrConsumer | IrPolicy;

/** The accepted objects of one cluster, each list sorted by id. */
export interface Ir {
  readonly routes: readonly IrRoute[];
  readonly aiModels: readonly IrAIModel[];
  readonly promptTemplates: readonly IrPromptTemplate[];
  readonly consumers: readonly IrConsumer[];
  readonly policies: readonly IrPolicy[];
}
