import type {
  AIModelConfig,
  ConfigObject,
  ConsumerConfig,
  PolicyConfig,
  RouteConfig,
  RouteRuleConfig,
} from '@hubpo/snapshot';
import { compareStrings } from './compare.js';
import type { Ir, IrAIModel, IrConsumer, IrPolicy, IrRoute, IrRouteRule } from './ir.js';

/**
 * Stage two: IR -> the config objects of the cluster's snapshot, sorted by kind then id.
 * PromptTemplates have no payload type yet and are not emitted.
 */
export function irToConfig(ir: Ir): ConfigObject[] {
  const objects: ConfigObject[] = [
    ...ir.aiModels.map(aiModelConfig),
    ...ir.consumers.map(consumerConfig),
    ...ir.policies.map(policyConfig),
    ...ir.routes.map(routeConfig),
  ];
  return objects.sort((a, b) => compareStrings(a.kind, b.kind) || compareStrings(a.id, b.id));
}

function routeConfig(route: IrRoute): RouteConfig {
  return {
    kind: 'route',
    id: route.meta.id,
    generation: route.meta.generation,
    createdAt: route.meta.createdAt,
    hostnames: route.hostnames,
    rules: route.rules.map(ruleConfig),
    passiveHealth: route.passiveHealth,
  };
}

function ruleConfig(rule: IrRouteRule): RouteRuleConfig {
  const action = rule.action;
  return {
    index: rule.index,
    name: rule.name,
    matches: rule.matches,
    action:
      action.kind === 'ai'
        ? { kind: 'ai', models: action.models }
        : {
            kind: 'proxy',
            backends: action.backends.map((b) => ({ id: b.url, url: b.url, weight: b.weight })),
            loadBalancer: action.loadBalancer,
          },
    requestHeaders: rule.requestHeaders,
    responseHeaders: rule.responseHeaders,
    urlRewrite: rule.urlRewrite,
    timeouts: rule.timeouts,
    retry: rule.retry,
  };
}

function aiModelConfig(model: IrAIModel): AIModelConfig {
  return {
    kind: 'aimodel',
    id: model.meta.id,
    generation: model.meta.generation,
    name: model.modelName,
    strategy: model.strategy,
    targets: model.targets,
    retry: model.retry,
    timeouts: model.timeouts,
    limits: model.limits,
    unsupportedFields: model.unsupportedFields,
  };
}

function consumerConfig(consumer: IrConsumer): ConsumerConfig {
  return {
    kind: 'consumer',
    id: consumer.meta.id,
    generation: consumer.meta.generation,
    apiKeys: consumer.apiKeys,
    allowedModels: consumer.allowedModels,
    allowedRoutes: consumer.allowedRoutes,
  };
}

function policyConfig(policy: IrPolicy): PolicyConfig {
  return {
    kind: 'policy',
    id: policy.meta.id,
    generation: policy.meta.generation,
    targets: policy.targets,
    authentication: policy.authentication,
    rateLimit: policy.rateLimit,
    ...(policy.aiLogging === undefined ? {} : { aiLogging: policy.aiLogging }),
    ...(policy.aiCredentials === undefined ? {} : { aiCredentials: policy.aiCredentials }),
  };
}
