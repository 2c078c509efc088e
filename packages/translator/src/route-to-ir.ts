import { parseDuration } from '@hubpo/api';
import type { HeaderModifier, Route, RouteMatch, RouteRule } from '@hubpo/api';
import type {
  HeaderModifierConfig,
  LoadBalancerType,
  MatchConfig,
  PathMatchType,
  UrlRewriteConfig,
  ValueMatchConfig,
  ValueMatchType,
} from '@hubpo/snapshot';
import { compareStrings, sortedUnique } from './compare.js';
import type { IrBackend, IrRoute, IrRouteRule, IrRuleAction } from './ir.js';
import { oneOf } from './one-of.js';
import { parseBaseUrl } from './parse-base-url.js';
import { Reasons } from './reasons.js';
import type { StatusBuilder } from './status-builder.js';
import type { TranslationContext } from './translation-context.js';

/** Route defaults (also in the schema descriptions and the README). */
export const ROUTE_DEFAULTS = Object.freeze({
  requestMs: 30_000,
  backendRequestMs: 15_000,
  connectMs: 5_000,
  retryAttempts: 2,
  retryBackoffMs: 25,
  retryCodes: Object.freeze([502, 503, 504]),
  consecutiveFailures: 5,
  ejectionMs: 30_000,
  weight: 1,
  loadBalancer: 'RoundRobin' as LoadBalancerType,
});

/** Kubernetes cluster DNS domain of Service backends. */
export const CLUSTER_DOMAIN = 'cluster.local';

const PATH_TYPES: readonly PathMatchType[] = ['Exact', 'PathPrefix', 'RegularExpression'];
const VALUE_TYPES: readonly ValueMatchType[] = ['Exact', 'RegularExpression'];
const LOAD_BALANCERS: readonly LoadBalancerType[] = ['RoundRobin', 'Random', 'LeastRequest'];
const REWRITE_TYPES = ['ReplaceFullPath', 'ReplacePrefixMatch'] as const;

const MATCH_ALL: MatchConfig = Object.freeze({
  path: Object.freeze({ type: 'PathPrefix', value: '/' }),
  method: null,
  headers: Object.freeze([]),
  queryParams: Object.freeze([]),
});

/**
 * A Route in IR form, or null when it is rejected (a status fault was recorded). Unknown AI model
 * names only degrade the rule: they are dropped and reported as ModelNotFound.
 */
export function routeToIr(route: Route, status: StatusBuilder, ctx: TranslationContext): IrRoute | null {
  const rules = route.spec.rules.map((rule, i) => ruleToIr(rule, i, status, ctx));
  if (!status.accepted) return null;
  const health = route.spec.passiveHealth;
  return {
    kind: 'Route',
    meta: status.meta,
    hostnames: sortedUnique((route.spec.hostnames ?? []).map((h) => h.toLowerCase())),
    rules,
    passiveHealth: {
      consecutiveFailures: health?.consecutiveFailures ?? ROUTE_DEFAULTS.consecutiveFailures,
      ejectionMs: parseDuration(health?.ejectionTime, ROUTE_DEFAULTS.ejectionMs),
    },
  };
}

function ruleToIr(
  rule: RouteRule,
  index: number,
  status: StatusBuilder,
  ctx: TranslationContext,
): IrRouteRule {
  const at = `spec.rules[${index}]`;
  const matches = rule.matches ?? [];
  return {
    index,
    name: rule.name ?? null,
    matches:
      matches.length === 0
        ? [MATCH_ALL]
        : matches.map((m, j) => matchToIr(m, `${at}.matches[${j}]`, status, ctx)),
    action: actionToIr(rule, at, status, ctx),
    requestHeaders: headerModifierToIr(rule.filters?.requestHeaders),
    responseHeaders: headerModifierToIr(rule.filters?.responseHeaders),
    urlRewrite: urlRewriteToIr(rule, at),
    timeouts: timeoutsToIr(rule, at, status),
    retry: {
      attempts: rule.retry?.attempts ?? ROUTE_DEFAULTS.retryAttempts,
      backoffMs: parseDuration(rule.retry?.backoff, ROUTE_DEFAULTS.retryBackoffMs),
      codes: [...new Set(rule.retry?.codes ?? ROUTE_DEFAULTS.retryCodes)].sort((a, b) => a - b),
    },
  };
}

function matchToIr(
  match: RouteMatch,
  at: string,
  status: StatusBuilder,
  ctx: TranslationContext,
): MatchConfig {
  const type = oneOf(match.path?.type ?? 'PathPrefix', PATH_TYPES, `${at}.path.type`);
  const value = match.path?.value ?? '/';
  if (type === 'RegularExpression') checkRegex(value, `${at}.path.value`, status, ctx);
  return {
    path: { type, value },
    method: match.method === undefined ? null : match.method.toUpperCase(),
    headers: valueMatchesToIr(match.headers, `${at}.headers`, true, status, ctx),
    queryParams: valueMatchesToIr(match.queryParams, `${at}.queryParams`, false, status, ctx),
  };
}

/**
 * Header names are case-insensitive, query parameter names are not. As in Gateway API, when
 * several entries name the same header (or parameter) only the first counts.
 */
function valueMatchesToIr(
  matches: RouteMatch['headers'],
  at: string,
  lowercaseNames: boolean,
  status: StatusBuilder,
  ctx: TranslationContext,
): ValueMatchConfig[] {
  const out: ValueMatchConfig[] = [];
  const seen = new Set<string>();
  (matches ?? []).forEach((m, k) => {
    const type = oneOf(m.type ?? 'Exact', VALUE_TYPES, `${at}[${k}].type`);
    if (type === 'RegularExpression') checkRegex(m.value, `${at}[${k}].value`, status, ctx);
    const name = lowercaseNames ? m.name.toLowerCase() : m.name;
    if (seen.has(name)) return;
    seen.add(name);
    out.push({ type, name, value: m.value });
  });
  return out;
}

function checkRegex(pattern: string, field: string, status: StatusBuilder, ctx: TranslationContext): void {
  const error = ctx.regex.check(pattern);
  if (error !== null) status.reject(Reasons.InvalidRegex, `${field}: ${error}`);
}

function actionToIr(
  rule: RouteRule,
  at: string,
  status: StatusBuilder,
  ctx: TranslationContext,
): IrRuleAction {
  if (rule.ai !== undefined) {
    const names = rule.ai.models;
    if (names === undefined) return { kind: 'ai', models: null };
    const known: string[] = [];
    names.forEach((name, k) => {
      if (ctx.modelNames.has(name)) known.push(name);
      else
        status.unresolved(
          Reasons.ModelNotFound,
          `${at}.ai.models[${k}]: no AIModel named "${name}" in cluster "${ctx.cluster.name}"`,
        );
    });
    return { kind: 'ai', models: sortedUnique(known) };
  }
  return {
    kind: 'proxy',
    backends: backendsToIr(rule.backends ?? [], `${at}.backends`, status),
    loadBalancer: oneOf(
      rule.loadBalancer ?? ROUTE_DEFAULTS.loadBalancer,
      LOAD_BALANCERS,
      `${at}.loadBalancer`,
    ),
  };
}

/**
 * Backends by canonical URL: a Service becomes its cluster DNS name, two entries reaching the
 * same URL are one backend with the summed weight, weight 0 is left out of selection.
 */
function backendsToIr(
  backends: NonNullable<RouteRule['backends']>,
  at: string,
  status: StatusBuilder,
): IrBackend[] {
  const weights = new Map<string, number>();
  backends.forEach((backend, j) => {
    let url: string;
    if (backend.service !== undefined) {
      const { name, port } = backend.service;
      const namespace = backend.service.namespace ?? status.meta.namespace;
      url = `http://${name}.${namespace}.svc.${CLUSTER_DOMAIN}:${port}`;
    } else {
      const parsed = parseBaseUrl(backend.url ?? '', true);
      if (!parsed.ok) {
        status.reject(Reasons.InvalidBackend, `${at}[${j}].url: ${parsed.error}`);
        return;
      }
      url = parsed.url;
    }
    const weight = backend.weight ?? ROUTE_DEFAULTS.weight;
    if (weight > 0) weights.set(url, (weights.get(url) ?? 0) + weight);
  });
  return [...weights].sort((a, b) => compareStrings(a[0], b[0])).map(([url, weight]) => ({ url, weight }));
}

/** Lowercase names; the first `set` and `remove` entry of a name counts, `add` keeps every value. */
function headerModifierToIr(modifier: HeaderModifier | undefined): HeaderModifierConfig | null {
  if (modifier === undefined) return null;
  const set: { name: string; value: string }[] = [];
  const setNames = new Set<string>();
  for (const h of modifier.set ?? []) {
    const name = h.name.toLowerCase();
    if (setNames.has(name)) continue;
    setNames.add(name);
    set.push({ name, value: h.value });
  }
  const add = (modifier.add ?? []).map((h) => ({ name: h.name.toLowerCase(), value: h.value }));
  const remove = [...new Set((modifier.remove ?? []).map((n) => n.toLowerCase()))];
  if (set.length === 0 && add.length === 0 && remove.length === 0) return null;
  return { set, add, remove };
}

function urlRewriteToIr(rule: RouteRule, at: string): UrlRewriteConfig | null {
  const rewrite = rule.filters?.urlRewrite;
  if (rewrite === undefined || (rewrite.hostname === undefined && rewrite.path === undefined)) return null;
  const path = rewrite.path;
  return {
    hostname: rewrite.hostname === undefined ? null : rewrite.hostname.toLowerCase(),
    path:
      path === undefined
        ? null
        : { type: oneOf(path.type, REWRITE_TYPES, `${at}.filters.urlRewrite.path.type`), value: path.value },
  };
}

/**
 * Defaults never exceed the timeout that contains them (backendRequest <= request, connect <=
 * backendRequest); an explicit backendRequest above the request timeout is a fault, as in
 * Gateway API. 0 means "no timeout" (Gateway API) and does not bound the others.
 */
function timeoutsToIr(rule: RouteRule, at: string, status: StatusBuilder): IrRouteRule['timeouts'] {
  const t = rule.timeouts;
  const requestMs = parseDuration(t?.request, ROUTE_DEFAULTS.requestMs);
  const backendRequestMs = parseDuration(
    t?.backendRequest,
    bounded(ROUTE_DEFAULTS.backendRequestMs, requestMs),
  );
  if (t?.backendRequest !== undefined && requestMs > 0 && backendRequestMs > requestMs) {
    status.reject(
      Reasons.InvalidTimeouts,
      `${at}.timeouts.backendRequest: ${t.backendRequest} exceeds the request timeout (${t.request ?? '30s'})`,
    );
  }
  const connectMs = parseDuration(t?.connect, bounded(ROUTE_DEFAULTS.connectMs, backendRequestMs));
  return { requestMs, backendRequestMs, connectMs };
}

/** A default bounded by the enclosing timeout, unless that one is disabled (0). */
function bounded(defaultMs: number, enclosingMs: number): number {
  return enclosingMs > 0 ? Math.min(defaultMs, enclosingMs) : defaultMs;
}
