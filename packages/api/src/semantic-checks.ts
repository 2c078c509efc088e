import type { FieldIssue } from '@hubpo/core';
import type { AIModel } from './kinds/ai-model.js';
import type { Consumer } from './kinds/consumer.js';
import type { Policy } from './kinds/policy.js';
import type { PromptTemplate } from './kinds/prompt-template.js';
import type { Route, RouteRule } from './kinds/route.js';

/*
 * Cross-field rules the schema cannot express. Anything that depends on other objects (missing
 * references, regexes the gateway's engine rejects) is the translator's job and becomes a status,
 * not a validation error.
 */

export function checkRoute(route: Route): FieldIssue[] {
  const issues: FieldIssue[] = [];
  route.spec.rules.forEach((rule, i) => checkRule(rule, `/spec/rules/${i}`, issues));
  return issues;
}

function checkRule(rule: RouteRule, at: string, issues: FieldIssue[]): void {
  const hasBackends = rule.backends !== undefined && rule.backends.length > 0;
  if (hasBackends === (rule.ai !== undefined)) {
    issues.push({ path: at, message: 'a rule needs exactly one of backends (API traffic) or ai (AI APIs)' });
  }
  rule.backends?.forEach((b, j) => {
    if ((b.url === undefined) === (b.service === undefined)) {
      issues.push({ path: `${at}/backends/${j}`, message: 'a backend needs exactly one of url or service' });
    }
  });
  if (hasBackends && rule.backends?.every((b) => (b.weight ?? 1) === 0)) {
    issues.push({ path: `${at}/backends`, message: 'at least one backend needs a weight above 0' });
  }
  rule.matches?.forEach((m, j) => {
    const p = m.path;
    if (p !== undefined && (p.type ?? 'PathPrefix') !== 'RegularExpression' && !p.value.startsWith('/')) {
      issues.push({ path: `${at}/matches/${j}/path/value`, message: 'must start with "/"' });
    }
  });
  const rewrite = rule.filters?.urlRewrite?.path;
  if (rewrite?.type === 'ReplacePrefixMatch') {
    const prefixOnly = (rule.matches ?? []).every((m) => (m.path?.type ?? 'PathPrefix') === 'PathPrefix');
    if (!prefixOnly) {
      issues.push({
        path: `${at}/filters/urlRewrite/path/type`,
        message: 'ReplacePrefixMatch needs every match of the rule to be a PathPrefix match',
      });
    }
  }
  if (rewrite !== undefined && !rewrite.value.startsWith('/')) {
    issues.push({ path: `${at}/filters/urlRewrite/path/value`, message: 'must start with "/"' });
  }
}

export function checkAIModel(model: AIModel): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const names = new Set<string>();
  model.spec.targets.forEach((t, i) => {
    const name = t.name ?? `${t.provider}/${t.model}`;
    if (names.has(name))
      issues.push({ path: `/spec/targets/${i}/name`, message: `duplicate target name "${name}"` });
    names.add(name);
    if (t.provider === 'azure-openai' && t.endpoint === undefined) {
      issues.push({ path: `/spec/targets/${i}/endpoint`, message: 'azure-openai targets need an endpoint' });
    }
    if (t.provider === 'openai-compatible' && t.endpoint === undefined) {
      issues.push({
        path: `/spec/targets/${i}/endpoint`,
        message: 'openai-compatible targets need an endpoint',
      });
    }
    if ((t.provider === 'bedrock' || t.provider === 'vertex-ai') && t.region === undefined) {
      issues.push({ path: `/spec/targets/${i}/region`, message: `${t.provider} targets need a region` });
    }
  });
  if (model.spec.strategy === 'Weighted' && model.spec.targets.every((t) => (t.weight ?? 1) === 0)) {
    issues.push({ path: '/spec/targets', message: 'Weighted strategy needs a target with weight above 0' });
  }
  return issues;
}

export function checkPromptTemplate(template: PromptTemplate): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const declared = new Set((template.spec.variables ?? []).map((v) => v.name));
  const seen = new Set<string>();
  (template.spec.variables ?? []).forEach((v, i) => {
    if (seen.has(v.name))
      issues.push({ path: `/spec/variables/${i}/name`, message: `duplicate variable "${v.name}"` });
    seen.add(v.name);
  });
  template.spec.messages.forEach((m, i) => {
    for (const match of m.content.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)) {
      const name = match[1] ?? '';
      if (!declared.has(name)) {
        issues.push({ path: `/spec/messages/${i}/content`, message: `variable "${name}" is not declared` });
      }
    }
  });
  return issues;
}

export function checkConsumer(consumer: Consumer): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const names = new Set<string>();
  consumer.spec.apiKeys?.forEach((k, i) => {
    const given = [k.secretRef, k.value, k.sha256].filter((x) => x !== undefined).length;
    if (given !== 1) {
      issues.push({
        path: `/spec/apiKeys/${i}`,
        message: 'an API key needs exactly one of secretRef, value or sha256',
      });
    }
    if (names.has(k.name))
      issues.push({ path: `/spec/apiKeys/${i}/name`, message: `duplicate key name "${k.name}"` });
    names.add(k.name);
  });
  return issues;
}

export function checkPolicy(policy: Policy): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { authentication, rateLimit, aiLogging, aiCredentials } = policy.spec;
  if (
    authentication === undefined &&
    rateLimit === undefined &&
    aiLogging === undefined &&
    aiCredentials === undefined
  ) {
    issues.push({
      path: '/spec',
      message: 'a policy needs at least one of authentication, rateLimit, aiLogging or aiCredentials',
    });
  }
  const names = new Set<string>();
  aiLogging?.patterns?.forEach((p, i) => {
    const at = `/spec/aiLogging/patterns/${i}`;
    if (names.has(p.name)) issues.push({ path: `${at}/name`, message: `duplicate pattern name "${p.name}"` });
    names.add(p.name);
    try {
      new RegExp(p.regex, 'g');
    } catch (err) {
      issues.push({ path: `${at}/regex`, message: err instanceof Error ? err.message : 'invalid regex' });
    }
  });
  return issues;
}
