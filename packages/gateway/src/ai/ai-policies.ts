import type { IncomingHttpHeaders } from 'node:http';
import type { AICredentialsConfig, PolicyConfig } from '@hubpo/snapshot';
import type { AILogSink } from './ai-log-sink.js';
import { AIRequestPolicy } from './ai-request-policy.js';
import type { AIRequestPolicyFacts } from './ai-request-policy.js';
import { Redactor } from './redactor.js';

/** Reports a problem that makes the snapshot invalid (the program NACKs it). */
type IssueSink = (path: string, message: string) => void;

/** What the logging policies of one request ask for, merged. */
export interface ResolvedAILogging {
  readonly prompts: boolean;
  readonly completions: boolean;
  /** Every applying policy's redactor, in policy id order: all of them run. */
  readonly redactors: readonly Redactor[];
  /** The smallest `maxChars` among the applying policies. */
  readonly maxChars: number;
  readonly policies: readonly string[];
}

/** The AI policies that apply to one (route, model, consumer), merged; shared by requests. */
export interface ResolvedAIPolicy {
  readonly logging: ResolvedAILogging | null;
  /** The pass-through rule of the first applying policy (by id) that allows it. */
  readonly credentials: AICredentialsConfig | null;
}

interface CompiledAIPolicy {
  readonly id: string;
  readonly logging: {
    readonly prompts: boolean;
    readonly completions: boolean;
    readonly redactor: Redactor;
    readonly maxChars: number;
  } | null;
  readonly credentials: AICredentialsConfig | null;
}

/** Resolved combinations kept; past this many, further ones are merged per request. */
const MAX_CACHED = 4096;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

/**
 * The `aiLogging` and `aiCredentials` parts of a snapshot's Policies, compiled at snapshot load
 * (redaction patterns included) and indexed by the Route, AIModel and Consumer they attach to.
 * `compile` returns null when no policy has either part, so the AI path pays one null check per
 * request and nothing else (prompts are then never logged and client keys never read).
 * A request's policies are those attached to its route, its model or its consumer; logging
 * merges them (either text logged if any policy asks; every policy's redaction runs; the smallest
 * budget wins), pass-through follows the first policy by id that allows it.
 */
export class AIPolicies {
  readonly #byTarget: ReadonlyMap<string, readonly CompiledAIPolicy[]>;
  readonly #sink: AILogSink;
  readonly #cache = new Map<string, ResolvedAIPolicy | null>();

  private constructor(byTarget: ReadonlyMap<string, readonly CompiledAIPolicy[]>, sink: AILogSink) {
    this.#byTarget = byTarget;
    this.#sink = sink;
  }

  static compile(policies: readonly PolicyConfig[], sink: AILogSink, issue: IssueSink): AIPolicies | null {
    const byTarget = new Map<string, CompiledAIPolicy[]>();
    for (const policy of policies) {
      const compiled = compilePolicy(policy, issue);
      if (compiled === null) continue;
      for (const target of policy.targets) {
        const key = `${target.kind}:${target.id}`;
        const list = byTarget.get(key);
        if (list === undefined) byTarget.set(key, [compiled]);
        else list.push(compiled);
      }
    }
    return byTarget.size === 0 ? null : new AIPolicies(byTarget, sink);
  }

  /** The merged policy of a route, AIModel (id) and consumer (null: anonymous); null when none applies. */
  resolve(routeId: string, modelId: string, consumerId: string | null): ResolvedAIPolicy | null {
    const key = `${routeId}\n${modelId}\n${consumerId ?? ''}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const resolved = this.#merge(routeId, modelId, consumerId);
    if (this.#cache.size < MAX_CACHED) this.#cache.set(key, resolved);
    return resolved;
  }

  /** The per-request view (reads the pass-through header once), or null when no policy applies. */
  forRequest(
    facts: AIRequestPolicyFacts,
    modelId: string,
    headers: IncomingHttpHeaders,
  ): AIRequestPolicy | null {
    const resolved = this.resolve(facts.routeId, modelId, facts.consumerId);
    return resolved === null ? null : new AIRequestPolicy(resolved, facts, headers, this.#sink);
  }

  #merge(routeId: string, modelId: string, consumerId: string | null): ResolvedAIPolicy | null {
    const seen = new Map<string, CompiledAIPolicy>();
    const keys = [`route:${routeId}`, `aimodel:${modelId}`];
    if (consumerId !== null) keys.push(`consumer:${consumerId}`);
    for (const key of keys) for (const p of this.#byTarget.get(key) ?? []) seen.set(p.id, p);
    if (seen.size === 0) return null;
    const applying = [...seen.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let prompts = false;
    let completions = false;
    let maxChars = Number.POSITIVE_INFINITY;
    const redactors: Redactor[] = [];
    const ids: string[] = [];
    let credentials: AICredentialsConfig | null = null;
    for (const p of applying) {
      if (p.logging !== null) {
        prompts ||= p.logging.prompts;
        completions ||= p.logging.completions;
        maxChars = Math.min(maxChars, p.logging.maxChars);
        if (!p.logging.redactor.empty) redactors.push(p.logging.redactor);
        ids.push(p.id);
      }
      credentials ??= p.credentials;
    }
    const logging = ids.length === 0 ? null : { prompts, completions, redactors, maxChars, policies: ids };
    return logging === null && credentials === null ? null : { logging, credentials };
  }
}

function compilePolicy(policy: PolicyConfig, issue: IssueSink): CompiledAIPolicy | null {
  const at = `/policy/${policy.id}`;
  let logging: CompiledAIPolicy['logging'] = null;
  const log = policy.aiLogging;
  if (log !== undefined && (log.prompts || log.completions)) {
    if (!(Number.isInteger(log.maxChars) && log.maxChars > 0)) {
      issue(`${at}/aiLogging/maxChars`, 'must be a positive integer');
      return null;
    }
    try {
      logging = {
        prompts: log.prompts,
        completions: log.completions,
        redactor: new Redactor(log.redact, log.patterns),
        maxChars: log.maxChars,
      };
    } catch (err) {
      issue(`${at}/aiLogging/patterns`, err instanceof Error ? err.message : 'invalid pattern');
      return null;
    }
  }
  let credentials: AICredentialsConfig | null = null;
  const creds = policy.aiCredentials;
  if (creds !== undefined && creds.passThrough) {
    if (!HEADER_NAME.test(creds.header)) {
      issue(`${at}/aiCredentials/header`, 'not a lower-case header name');
      return null;
    }
    credentials = creds;
  }
  return logging === null && credentials === null ? null : { id: policy.id, logging, credentials };
}
