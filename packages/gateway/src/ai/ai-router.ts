import type { AIModelRuntime } from './ai-model-runtime.js';
import type { AIPolicies } from './ai-policies.js';
import type { AIState } from './ai-state.js';

/** What the router needs from the runtime state: the clock and the random source. */
export interface AIRouterClock {
  /** Monotonic milliseconds (breakers, backoff, latency). */
  readonly clock: () => number;
  /** Uniform [0, 1) (Weighted strategy, retry jitter). */
  readonly random: () => number;
}

/**
 * The AIModels of one runtime, compiled, and who may use which: served under every AI rule of
 * the snapshot. A model is usable under a rule when the rule lists it (or lists none) and the
 * consumer's `allowedModels` lists it (or is null, or the caller is anonymous).
 */
export class AIRouter {
  readonly models: ReadonlyMap<string, AIModelRuntime>;
  readonly ai: AIState;
  readonly clock: () => number;
  readonly random: () => number;
  /** The snapshot's AI logging / credential policies; null when there are none (the usual case). */
  readonly policies: AIPolicies | null;
  /** Consumer id -> the AIModel names it may use (null: all). */
  readonly #consumerModels: ReadonlyMap<string, ReadonlySet<string> | null>;
  /** Every model, sorted by name (model lists). */
  readonly #sorted: readonly AIModelRuntime[];

  constructor(
    models: ReadonlyMap<string, AIModelRuntime>,
    consumerModels: ReadonlyMap<string, ReadonlySet<string> | null>,
    ai: AIState,
    clock: AIRouterClock,
    policies: AIPolicies | null = null,
  ) {
    this.models = models;
    this.#consumerModels = consumerModels;
    this.ai = ai;
    this.clock = clock.clock;
    this.random = clock.random;
    this.policies = policies;
    this.#sorted = [...models.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Whether `consumerId` (null: anonymous) may use model `name` under a rule allowing `ruleModels`. */
  mayUse(ruleModels: ReadonlySet<string> | null, consumerId: string | null, name: string): boolean {
    if (ruleModels !== null && !ruleModels.has(name)) return false;
    if (consumerId === null) return true;
    const allowed = this.#consumerModels.get(consumerId);
    return allowed === undefined || allowed === null || allowed.has(name);
  }

  /** The models the caller may use under the rule, sorted by name (`/v1/models`). */
  usable(ruleModels: ReadonlySet<string> | null, consumerId: string | null): AIModelRuntime[] {
    return this.#sorted.filter((m) => this.mayUse(ruleModels, consumerId, m.name));
  }
}
