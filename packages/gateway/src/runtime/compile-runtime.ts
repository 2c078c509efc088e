import { HubpoError } from '@hubpo/core';
import type { FieldIssue } from '@hubpo/core';
import type {
  AIModelConfig,
  BackendConfig,
  ConfigObject,
  ConsumerConfig,
  HeaderModifierConfig,
  MatchConfig,
  PolicyConfig,
  RouteConfig,
  RouteRuleConfig,
  ValueMatchConfig,
} from '@hubpo/snapshot';
// AI data path (issue 3): AIModels compile into one router per runtime; `ai` rules serve from it.
import { AIRule, AIStateDraft, compileAIRouter } from '../ai/index.js';
import type { AIRouter } from '../ai/index.js';
import { ApiKeyAuth } from './api-key-auth.js';
import type { BackendPicker } from './backend-picker.js';
import { BackendTarget } from './backend-target.js';
import { ConsumerRuntime } from './consumer-runtime.js';
import { HeaderModifier } from './header-modifier.js';
import { HttpRuntime } from './http-runtime.js';
import { LeastRequestPicker } from './least-request-picker.js';
import { RandomPicker } from './random-picker.js';
import { RateLimiter } from './rate-limiter.js';
import { normalizePath } from './request-target.js';
import { RoundRobinPicker } from './round-robin-picker.js';
import { PathKind, RouteCandidate, ValueCondition } from './route-candidate.js';
import type { CandidateOrigin } from './route-candidate.js';
import { RouteTable } from './route-table.js';
import type { RouteTableEntry } from './route-table.js';
import { RuleRuntime } from './rule-runtime.js';
import type { Runtime } from './runtime.js';
import { StateDraft } from './runtime-state.js';
import type { RuntimeState } from './runtime-state.js';
import { BucketParams } from './token-bucket.js';
import type { UpstreamPool } from './upstream-pool.js';
import { PathRewrite, trimTrailingSlash } from './url-rewrite.js';

/** The config of one revision, as the program decoded it from the snapshot. */
export interface RuntimeInput {
  readonly revision: number;
  readonly objects: readonly ConfigObject[];
}

/**
 * Compiles a revision into a `Runtime`: route index, compiled regexes, header modifiers,
 * pickers, policies and the consumer key map, with counters, buckets, health and pools taken
 * from `state` by stable id. Nothing is left to do per request but lookups. Throws
 * `HubpoError('SNAPSHOT_INVALID')` listing every problem when the config cannot be compiled;
 * the state is then left as it was (the program keeps serving the previous runtime).
 */
export function compileRuntime(input: RuntimeInput, state: RuntimeState): Runtime {
  return new RuntimeCompiler(state).compile(input);
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

interface CompiledPolicy {
  readonly id: string;
  readonly auth: ApiKeyAuth | null;
  readonly limiter: RateLimiter | null;
}

class RuntimeCompiler {
  readonly #state: RuntimeState;
  readonly #issues: FieldIssue[] = [];
  readonly #draft = new StateDraft();
  readonly #aiDraft = new AIStateDraft();
  #aiRouter: AIRouter | null = null;
  readonly #routePolicies = new Map<string, CompiledPolicy[]>();
  readonly #consumerPolicies = new Map<string, CompiledPolicy[]>();

  constructor(state: RuntimeState) {
    this.#state = state;
  }

  compile(input: RuntimeInput): Runtime {
    const routes: RouteConfig[] = [];
    const consumers: ConsumerConfig[] = [];
    const policies: PolicyConfig[] = [];
    const aiModels: AIModelConfig[] = [];
    const seen = new Set<string>();
    input.objects.forEach((object, i) => {
      const kind = (object as { kind?: unknown }).kind;
      if (kind !== 'route' && kind !== 'consumer' && kind !== 'policy' && kind !== 'aimodel') {
        this.#issue(`/objects/${i}`, `unknown config kind ${JSON.stringify(kind)}`);
        return;
      }
      if (seen.has(`${object.kind}/${object.id}`))
        this.#issue(`/${object.kind}/${object.id}`, 'duplicate id');
      seen.add(`${object.kind}/${object.id}`);
      if (object.kind === 'route') routes.push(object);
      else if (object.kind === 'consumer') consumers.push(object);
      else if (object.kind === 'policy') policies.push(object);
      else aiModels.push(object);
    });
    policies.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const policy of policies) this.#policy(policy);
    const keyMap = this.#consumers(consumers);
    this.#aiRouter = compileAIRouter(
      { models: aiModels, consumers, policies },
      this.#state,
      this.#draft,
      this.#aiDraft,
      (path, message) => this.#issue(path, message),
    );
    const entries = routes.map((route) => this.#route(route));
    if (this.#issues.length > 0) {
      const shown = this.#issues.slice(0, 5).map((issue) => `${issue.path}: ${issue.message}`);
      const more = this.#issues.length > 5 ? ` (and ${this.#issues.length - 5} more)` : '';
      throw new HubpoError(
        'SNAPSHOT_INVALID',
        `config revision ${input.revision} cannot be compiled: ${shown.join('; ')}${more}`,
        {
          issues: this.#issues,
        },
      );
    }
    const table = new RouteTable(entries);
    this.#state.commit(this.#draft);
    this.#state.ai.commit(this.#aiDraft);
    return new HttpRuntime(input.revision, table, keyMap, this.#state, [...this.#draft.pools.values()]);
  }

  #issue(path: string, message: string): void {
    this.#issues.push({ path, message });
  }

  #policy(policy: PolicyConfig): void {
    const at = `/policy/${policy.id}`;
    const apiKey = policy.authentication?.apiKey ?? null;
    if (apiKey !== null && apiKey.header !== null && !HEADER_NAME.test(apiKey.header)) {
      this.#issue(`${at}/authentication/apiKey/header`, 'not a lower-case header name');
    }
    let limiter: RateLimiter | null = null;
    const limit = policy.rateLimit;
    if (limit !== null) {
      if (!(limit.requests > 0 && limit.windowMs > 0 && limit.burst >= 0)) {
        this.#issue(`${at}/rateLimit`, 'requests and windowMs must be above 0, burst at least 0');
      } else {
        const params = new BucketParams(limit);
        const store = this.#state.buckets(this.#draft, policy.id, params);
        limiter = new RateLimiter(policy.id, limit.key === 'clientIp', store, params);
      }
    }
    const compiled: CompiledPolicy = {
      id: policy.id,
      auth: apiKey === null ? null : new ApiKeyAuth(apiKey),
      limiter,
    };
    for (const target of policy.targets) {
      const byTarget =
        target.kind === 'route'
          ? this.#routePolicies
          : target.kind === 'consumer'
            ? this.#consumerPolicies
            : null;
      if (byTarget === null) continue; // AIModel targets: the AI ingress is not part of this runtime yet.
      const list = byTarget.get(target.id);
      if (list === undefined) byTarget.set(target.id, [compiled]);
      else list.push(compiled);
    }
  }

  #consumers(consumers: readonly ConsumerConfig[]): Map<string, ConsumerRuntime> {
    const byKey = new Map<string, ConsumerRuntime>();
    for (const consumer of consumers) {
      const limiters = (this.#consumerPolicies.get(consumer.id) ?? []).flatMap((p) =>
        p.limiter === null ? [] : [p.limiter],
      );
      const allowed = consumer.allowedRoutes === null ? null : new Set(consumer.allowedRoutes);
      const compiled = new ConsumerRuntime(consumer.id, allowed, limiters);
      consumer.apiKeys.forEach((key, i) => {
        const hash = key.sha256.toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(hash)) {
          this.#issue(`/consumer/${consumer.id}/apiKeys/${i}/sha256`, 'not a hex SHA-256');
        } else if (byKey.has(hash) && byKey.get(hash) !== compiled) {
          // Ambiguous identity: refuse rather than let one consumer authenticate as another.
          this.#issue(
            `/consumer/${consumer.id}/apiKeys/${i}`,
            `key also belongs to consumer ${byKey.get(hash)!.id}`,
          );
        } else {
          byKey.set(hash, compiled);
        }
      });
    }
    return byKey;
  }

  #route(route: RouteConfig): RouteTableEntry<RuleRuntime> {
    const at = `/route/${route.id}`;
    const createdAt = Date.parse(route.createdAt);
    if (Number.isNaN(createdAt)) this.#issue(`${at}/createdAt`, 'not an RFC 3339 timestamp');
    const { consecutiveFailures, ejectionMs } = route.passiveHealth;
    if (!(consecutiveFailures >= 1 && ejectionMs >= 0)) {
      this.#issue(`${at}/passiveHealth`, 'consecutiveFailures must be at least 1 and ejectionMs at least 0');
    }
    const policies = this.#routePolicies.get(route.id) ?? [];
    const candidates: RouteCandidate<RuleRuntime>[] = [];
    for (const rule of route.rules) {
      const compiled = this.#rule(route, rule, policies, `${at}/rules/${rule.index}`);
      const matches: readonly MatchConfig[] =
        rule.matches.length > 0
          ? rule.matches
          : [{ path: { type: 'PathPrefix', value: '/' }, method: null, headers: [], queryParams: [] }];
      matches.forEach((match, matchIndex) => {
        const origin: CandidateOrigin = { createdAt, routeId: route.id, ruleIndex: rule.index, matchIndex };
        const candidate = this.#candidate(
          compiled,
          match,
          origin,
          `${at}/rules/${rule.index}/matches/${matchIndex}`,
        );
        if (candidate !== null) candidates.push(candidate);
      });
      if (
        rule.urlRewrite?.path?.type === 'ReplacePrefixMatch' &&
        matches.some((m) => m.path.type !== 'PathPrefix')
      ) {
        this.#issue(
          `${at}/rules/${rule.index}/urlRewrite/path`,
          'ReplacePrefixMatch needs PathPrefix matches only',
        );
      }
    }
    return { hostnames: route.hostnames.map((h) => h.toLowerCase()), candidates };
  }

  #rule(
    route: RouteConfig,
    rule: RouteRuleConfig,
    policies: readonly CompiledPolicy[],
    at: string,
  ): RuleRuntime {
    const authPolicies = policies.filter((p) => p.auth !== null);
    const firstAuth = authPolicies[0]?.auth ?? null;
    // Several auth policies: the first (by policy id) says where the key is; optional only if all are.
    const auth =
      firstAuth === null || firstAuth.optional === authPolicies.every((p) => p.auth!.optional)
        ? firstAuth
        : new ApiKeyAuth({ header: firstAuth.header, optional: false });
    const { requestMs, backendRequestMs, connectMs } = rule.timeouts;
    if (!(requestMs >= 0 && backendRequestMs >= 0 && connectMs > 0))
      this.#issue(`${at}/timeouts`, 'invalid timeout');
    const retryCodes: boolean[] = new Array<boolean>(100).fill(false);
    for (const code of rule.retry.codes) {
      if (code >= 500 && code <= 599) retryCodes[code - 500] = true;
      else this.#issue(`${at}/retry/codes`, `${code} is not a 5xx status`);
    }
    const action = rule.action;
    const picker = action.kind === 'proxy' ? this.#picker(route, rule, action, connectMs, at) : null;
    const responseHeaders = this.#modifier(rule.responseHeaders, `${at}/responseHeaders`);
    const ai =
      action.kind === 'ai' ? new AIRule(this.#aiRouter!, route.id, action.models, responseHeaders) : null;
    const hostname = rule.urlRewrite?.hostname ?? null;
    if (hostname !== null && !HEADER_VALUE.test(hostname))
      this.#issue(`${at}/urlRewrite/hostname`, 'invalid hostname');
    const pathRewrite = rule.urlRewrite?.path ?? null;
    if (pathRewrite !== null && !pathRewrite.value.startsWith('/'))
      this.#issue(`${at}/urlRewrite/path`, 'must start with "/"');
    return new RuleRuntime({
      routeId: route.id,
      index: rule.index,
      label: rule.name ?? String(rule.index),
      picker,
      ai,
      auth,
      rateLimiters: policies.flatMap((p) => (p.limiter === null ? [] : [p.limiter])),
      requestHeaders: this.#modifier(rule.requestHeaders, `${at}/requestHeaders`),
      responseHeaders,
      pathRewrite: pathRewrite === null ? null : new PathRewrite(pathRewrite),
      hostRewrite: hostname,
      requestMs,
      backendRequestMs,
      retryAttempts: Math.max(0, Math.floor(rule.retry.attempts)),
      retryBackoffMs: Math.max(0, rule.retry.backoffMs),
      retryCodes,
      failuresToEject: route.passiveHealth.consecutiveFailures,
      ejectionMs: route.passiveHealth.ejectionMs,
    });
  }

  #picker(
    route: RouteConfig,
    rule: RouteRuleConfig,
    action: { readonly backends: readonly BackendConfig[]; readonly loadBalancer: string },
    connectMs: number,
    at: string,
  ): BackendPicker | null {
    const targets: BackendTarget[] = [];
    action.backends.forEach((backend, i) => {
      const target = this.#backend(backend, connectMs, `${at}/backends/${i}`);
      if (target !== null) targets.push(target);
    });
    if (targets.length === 0 || targets.every((t) => t.weight === 0)) {
      this.#issue(`${at}/backends`, 'a proxy rule needs a backend with a weight above 0');
      return null;
    }
    const ruleKey = `${route.id}#${rule.index}`;
    switch (action.loadBalancer) {
      case 'Random':
        return new RandomPicker(targets, this.#state.random);
      case 'LeastRequest':
        return new LeastRequestPicker(targets, this.#state.random);
      case 'RoundRobin':
        return new RoundRobinPicker(
          targets,
          this.#state.roundRobinScores(
            this.#draft,
            ruleKey,
            targets.map((t) => t.id),
          ),
        );
      default:
        this.#issue(`${at}/loadBalancer`, `unknown load balancer ${JSON.stringify(action.loadBalancer)}`);
        return null;
    }
  }

  #backend(backend: BackendConfig, connectMs: number, at: string): BackendTarget | null {
    let url: URL;
    try {
      url = new URL(backend.url);
    } catch {
      this.#issue(`${at}/url`, 'not a URL');
      return null;
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.search !== '') {
      this.#issue(`${at}/url`, 'must be an http(s) URL without credentials or query');
      return null;
    }
    if (!(backend.weight >= 0)) this.#issue(`${at}/weight`, 'must be at least 0');
    const pool: UpstreamPool = this.#state.pool(this.#draft, url.origin, connectMs);
    const basePath = trimTrailingSlash(url.pathname === '/' ? '' : url.pathname);
    return new BackendTarget(
      backend.id,
      backend.weight,
      url.origin,
      basePath,
      this.#state.health(this.#draft, backend.id),
      pool,
    );
  }

  #modifier(config: HeaderModifierConfig | null, at: string): HeaderModifier | null {
    if (config === null || config.set.length + config.add.length + config.remove.length === 0) return null;
    const names = [...config.set.map((h) => h.name), ...config.add.map((h) => h.name), ...config.remove];
    for (const name of names)
      if (!HEADER_NAME.test(name)) this.#issue(at, `"${name}" is not a lower-case header name`);
    for (const { name, value } of [...config.set, ...config.add]) {
      if (!HEADER_VALUE.test(value)) this.#issue(at, `the value of "${name}" has control characters`);
    }
    if (config.add.length > 30) this.#issue(`${at}/add`, 'at most 30 headers can be added');
    return new HeaderModifier(config);
  }

  #candidate(
    rule: RuleRuntime,
    match: MatchConfig,
    origin: CandidateOrigin,
    at: string,
  ): RouteCandidate<RuleRuntime> | null {
    const path = this.#path(match.path, `${at}/path`);
    const headers = match.headers.map((m, i) =>
      this.#condition({ ...m, name: m.name.toLowerCase() }, `${at}/headers/${i}`),
    );
    const query = match.queryParams.map((m, i) => this.#condition(m, `${at}/queryParams/${i}`));
    if (path === null || headers.includes(null) || query.includes(null)) return null;
    return new RouteCandidate(
      rule,
      path,
      {
        method: match.method,
        headers: headers as ValueCondition[],
        query: query as ValueCondition[],
      },
      origin,
    );
  }

  #path(
    path: MatchConfig['path'],
    at: string,
  ): { readonly kind: PathKind; readonly value: string; readonly regex: RegExp | null } | null {
    if (path.type === 'RegularExpression') {
      const regex = this.#regex(path.value, at);
      return regex === null ? null : { kind: PathKind.Regex, value: path.value, regex };
    }
    if (!path.value.startsWith('/')) {
      this.#issue(at, 'must start with "/"');
      return null;
    }
    const normalized = normalizePath(path.value);
    return path.type === 'Exact'
      ? { kind: PathKind.Exact, value: normalized, regex: null }
      : { kind: PathKind.Prefix, value: trimTrailingSlash(normalized), regex: null };
  }

  #condition(match: ValueMatchConfig, at: string): ValueCondition | null {
    if (match.type === 'Exact') return new ValueCondition(match.name, match.value, null);
    const regex = this.#regex(match.value, at);
    return regex === null ? null : new ValueCondition(match.name, null, regex);
  }

  /** Regular expressions match the whole value (as Envoy's RE2 full match does). */
  #regex(source: string, at: string): RegExp | null {
    try {
      return new RegExp(`^(?:${source})$`);
    } catch (error) {
      this.#issue(at, `invalid regular expression: ${(error as Error).message}`);
      return null;
    }
  }
}
