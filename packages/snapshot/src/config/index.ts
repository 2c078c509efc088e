export type {
  BackendConfig,
  HeaderModifierConfig,
  LoadBalancerType,
  MatchConfig,
  PathMatchType,
  RouteConfig,
  RouteRuleConfig,
  RuleAction,
  UrlRewriteConfig,
  ValueMatchConfig,
  ValueMatchType,
} from './route-config.js';
export type { ConsumerConfig } from './consumer-config.js';
export type {
  AICredentialsConfig,
  AILoggingConfig,
  ApiKeyAuthConfig,
  PolicyConfig,
  PolicyTarget,
  PolicyTargetKind,
  RateLimitConfig,
  RedactionDetectorName,
  RedactionPatternConfig,
} from './policy-config.js';
export type { AIModelConfig, AIStrategy, AITargetConfig, PricingConfig } from './ai-model-config.js';
export type { ConfigObject, ConfigKind } from './config-object.js';
