import type { CapabilityPolicy } from '@hubpo/ai-providers';
import type { AIStrategy } from '@hubpo/snapshot';
import type { AITarget } from './ai-target.js';
import { planTargets } from './plan-targets.js';

export interface AIModelSpec {
  readonly id: string;
  readonly name: string;
  readonly strategy: AIStrategy;
  /** Targets that compiled (a target whose credential or provider is unusable is left out). */
  readonly targets: readonly AITarget[];
  /** How many targets the AIModel lists, usable or not. */
  readonly configuredTargets: number;
  /** Retries of the same target on a retryable failure, before moving to the next. */
  readonly retryAttempts: number;
  readonly retryBackoffMs: number;
  /** Per attempt: the whole upstream call, streams included (0: none). */
  readonly requestMs: number;
  /** Per streamed attempt: time until the first token (0: none). */
  readonly firstTokenMs: number;
  readonly contextWindow: number | null;
  readonly maxOutputTokens: number | null;
  readonly policy: CapabilityPolicy;
  /** Unix seconds shown as `created` in model lists (when this runtime compiled it). */
  readonly created: number;
}

/** One AIModel, compiled at snapshot load. */
export class AIModelRuntime implements AIModelSpec {
  readonly id: string;
  readonly name: string;
  readonly strategy: AIStrategy;
  readonly targets: readonly AITarget[];
  readonly configuredTargets: number;
  readonly retryAttempts: number;
  readonly retryBackoffMs: number;
  readonly requestMs: number;
  readonly firstTokenMs: number;
  readonly contextWindow: number | null;
  readonly maxOutputTokens: number | null;
  readonly policy: CapabilityPolicy;
  readonly created: number;
  /** Targets by priority (lowest first), then position. */
  readonly byPriority: readonly AITarget[];

  constructor(spec: AIModelSpec) {
    this.id = spec.id;
    this.name = spec.name;
    this.strategy = spec.strategy;
    this.targets = spec.targets;
    this.configuredTargets = spec.configuredTargets;
    this.retryAttempts = spec.retryAttempts;
    this.retryBackoffMs = spec.retryBackoffMs;
    this.requestMs = spec.requestMs;
    this.firstTokenMs = spec.firstTokenMs;
    this.contextWindow = spec.contextWindow;
    this.maxOutputTokens = spec.maxOutputTokens;
    this.policy = spec.policy;
    this.created = spec.created;
    this.byPriority = Object.freeze(
      [...spec.targets].sort((a, b) => a.priority - b.priority || a.index - b.index),
    );
  }

  /**
   * The targets one request tries, in order (see `planTargets`). Fallback, and any strategy over
   * a single target, is the priority order itself: the shared frozen list, no copy per request.
   */
  plan(nowMs: number, random: () => number): readonly AITarget[] {
    if (this.strategy === 'Fallback' || this.byPriority.length < 2) return this.byPriority;
    return planTargets(this.strategy, this.byPriority, nowMs, random);
  }
}
