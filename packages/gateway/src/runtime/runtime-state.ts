import { performance } from 'node:perf_hooks';
import type { Tracer } from '@opentelemetry/api';
import type { Telemetry } from '@hubpo/telemetry';
// AI data path (issue 3): per-target breakers and latency averages live in the state too.
import { AIState } from '../ai/ai-state.js';
import type { AIOptions } from '../ai/ai-state.js';
import { BackendHealth } from './backend-health.js';
import { RequestIds } from './request-ids.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import { BucketStore } from './token-bucket.js';
import type { BucketParams } from './token-bucket.js';
import { UpstreamPool } from './upstream-pool.js';
import { WebSocketProxy } from './websocket-proxy.js';

export interface RuntimeStateOptions {
  readonly telemetry?: Telemetry;
  /** Monotonic milliseconds (token buckets, ejections, backoff); tests inject one. */
  readonly clock?: () => number;
  /** Uniform [0, 1) for pickers and retry jitter; tests inject one. */
  readonly random?: () => number;
  /** Rate-limit keys (consumers, client IPs) kept per policy (default 100,000). */
  readonly rateLimitKeysPerPolicy?: number;
  /** Idle upstream keep-alive connections close after this (default 4 s, under node's 5 s server default). */
  readonly upstreamKeepAliveMs?: number;
  /** AI data path options: usage sink, data-plane key, breaker settings (see `AIOptions`). */
  readonly ai?: AIOptions;
}

interface RoundRobinScores {
  readonly signature: string;
  readonly current: Float64Array;
}

/**
 * What one compilation takes from the state, by id: existing entries or new ones. Nothing is
 * written to the state until `commit`, so a compilation that fails leaves it as it was.
 */
export class StateDraft {
  readonly health = new Map<string, BackendHealth>();
  readonly pools = new Map<string, UpstreamPool>();
  readonly buckets = new Map<string, { readonly store: BucketStore; readonly params: BucketParams }>();
  readonly scores = new Map<string, RoundRobinScores>();
}

const monotonicNow = (): number => performance.now();

/**
 * What outlives a runtime: token buckets (by policy id), passive health and in-flight counts (by
 * backend id), round-robin positions (by route id + rule index), keep-alive pools (by origin and
 * connect timeout), the telemetry instruments and the WebSocket proxy. `compileRuntime` takes
 * what it needs by stable id into a draft and, once the new runtime is built, commits it:
 * entries whose ids the new snapshot no longer has are dropped (pools close once the runtimes
 * still using them retire). One state serves one gateway process; compile on it serially.
 */
export class RuntimeState {
  readonly clock: () => number;
  readonly random: () => number;
  readonly metrics: RuntimeMetrics | null;
  /** Null unless tracing is on; then proxied requests get SERVER and CLIENT spans. */
  readonly tracer: Tracer | null;
  readonly requestIds = new RequestIds();
  readonly websockets: WebSocketProxy;
  /** AI targets' breakers and latency averages (by `<AIModel id>/<target name>`), AI options. */
  readonly ai: AIState;
  readonly #bucketOptions: { readonly maxKeys: number; readonly sweepEveryMs: number };
  readonly #keepAliveMs: number;
  readonly #health = new Map<string, BackendHealth>();
  readonly #pools = new Map<string, UpstreamPool>();
  /** Every pool not closed yet, including dropped ones that retiring runtimes still drain through. */
  readonly #openPools = new Set<UpstreamPool>();
  readonly #forgetPool = (pool: UpstreamPool): void => {
    this.#openPools.delete(pool);
  };
  readonly #buckets = new Map<string, BucketStore>();
  readonly #roundRobin = new Map<string, RoundRobinScores>();
  #closed = false;

  constructor(options: RuntimeStateOptions = {}) {
    this.clock = options.clock ?? monotonicNow;
    this.random = options.random ?? Math.random;
    const telemetry = options.telemetry;
    this.metrics = telemetry !== undefined && telemetry.metricsEnabled ? new RuntimeMetrics(telemetry) : null;
    this.tracer = telemetry !== undefined && telemetry.tracingEnabled ? telemetry.tracer : null;
    this.#bucketOptions = { maxKeys: options.rateLimitKeysPerPolicy ?? 100_000, sweepEveryMs: 60_000 };
    this.#keepAliveMs = options.upstreamKeepAliveMs ?? 4_000;
    this.websockets = new WebSocketProxy();
    this.ai = new AIState(options.ai, telemetry);
  }

  /** Backends with passive-health state (for tests and diagnostics). */
  get backendIds(): readonly string[] {
    return [...this.#health.keys()];
  }

  /** Policies with token buckets (for tests and diagnostics). */
  get policyIds(): readonly string[] {
    return [...this.#buckets.keys()];
  }

  /** @internal compileRuntime: the health of `backendId`, existing or new. */
  health(draft: StateDraft, backendId: string): BackendHealth {
    let health = draft.health.get(backendId);
    if (health === undefined) {
      health = this.#health.get(backendId) ?? new BackendHealth(backendId);
      draft.health.set(backendId, health);
    }
    return health;
  }

  /** @internal compileRuntime: the keep-alive pool to `origin` with this connect timeout. */
  pool(draft: StateDraft, origin: string, connectMs: number): UpstreamPool {
    const key = `${origin}|${connectMs}`;
    let pool = draft.pools.get(key);
    if (pool === undefined) {
      pool =
        this.#pools.get(key) ??
        new UpstreamPool(key, origin, { connectMs, keepAliveMs: this.#keepAliveMs }, this.#forgetPool);
      draft.pools.set(key, pool);
    }
    return pool;
  }

  /** @internal compileRuntime: the buckets of `policyId`; new `params` apply on commit. */
  buckets(draft: StateDraft, policyId: string, params: BucketParams): BucketStore {
    const store =
      draft.buckets.get(policyId)?.store ??
      this.#buckets.get(policyId) ??
      new BucketStore(params, this.#bucketOptions, this.clock());
    draft.buckets.set(policyId, { store, params });
    return store;
  }

  /** @internal compileRuntime: round-robin scores of a rule, kept while its backend list is the same. */
  roundRobinScores(draft: StateDraft, ruleKey: string, backendIds: readonly string[]): Float64Array {
    const signature = backendIds.join('\n');
    const existing = this.#roundRobin.get(ruleKey);
    const scores =
      existing !== undefined && existing.signature === signature
        ? existing
        : { signature, current: new Float64Array(backendIds.length) };
    draft.scores.set(ruleKey, scores);
    return scores.current;
  }

  /**
   * @internal compileRuntime: makes the draft the state. Entries the draft does not hold are
   * dropped; dropped pools close once the runtimes still using them retire.
   */
  commit(draft: StateDraft): void {
    replace(this.#health, draft.health);
    replace(this.#roundRobin, draft.scores);
    this.#buckets.clear();
    for (const [id, { store, params }] of draft.buckets) {
      store.reconfigure(params);
      this.#buckets.set(id, store);
    }
    for (const [key, pool] of this.#pools) {
      if (draft.pools.get(key) === pool) continue;
      this.#pools.delete(key);
      pool.drop();
    }
    for (const [key, pool] of draft.pools) {
      if (this.#pools.has(key)) continue;
      this.#pools.set(key, pool);
      this.#openPools.add(pool);
    }
  }

  /**
   * Closes every upstream connection and WebSocket now (process shutdown, after the listeners
   * drained). Runtimes compiled on this state must not serve afterwards.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pools = [...this.#openPools];
    this.#pools.clear();
    this.websockets.close();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  }
}

function replace<K, V>(target: Map<K, V>, source: ReadonlyMap<K, V>): void {
  target.clear();
  for (const [key, value] of source) target.set(key, value);
}
