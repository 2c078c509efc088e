export { API_VERSION, GROUP, VERSION, NAME_PATTERN, DURATION_PATTERN } from './common.js';
export type { Condition, ObjectRef, Placement, ResourceStatus, SecretKeyRef } from './common.js';
export { Route, RouteSpec, RouteRule, RouteMatch, Backend, HeaderModifier } from './kinds/route.js';
export { AIModel, AIModelSpec, AIModelTarget, Pricing, PROVIDER_IDS } from './kinds/ai-model.js';
export type { ProviderId } from './kinds/ai-model.js';
export { PromptTemplate, PromptTemplateSpec } from './kinds/prompt-template.js';
export { Consumer, ConsumerSpec, ApiKeyCredential } from './kinds/consumer.js';
export {
  AICredentials,
  AILogging,
  DEFAULT_PROVIDER_KEY_HEADER,
  MAX_REDACTION_PATTERN_LENGTH,
  Policy,
  PolicySpec,
  PolicyTargetRef,
  RateLimit,
  REDACTION_DETECTORS,
  RedactionPattern,
} from './kinds/policy.js';
export type { RedactionDetector } from './kinds/policy.js';
export { KINDS, KIND_NAMES, isKindName, kindByPlural, validateResource } from './kind-registry.js';
export type { AnyResource, KindInfo, KindName, PrinterColumn, ResourceByKind } from './kind-registry.js';
export { SchemaValidator } from './validate.js';
export type { ValidationResult } from './validate.js';
export { parseDuration } from './parse-duration.js';
export { generateCrd, generateCrds, toStructural } from './crd/crd-generator.js';
