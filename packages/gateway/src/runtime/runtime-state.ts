import { performance } from 'node:perf_hooks';
import type { Telemetry } from '@hubpo/telemetry';
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
}

/** Ids a compiled runtime uses; everything else is dropped from the state when it is committed. */
export interface StateUsage {
  readonly backends: Set<string>;
  readonly pools: Set<UpstreamPool>;
  readonly policies: Set<string>;
  readonly rules: Set<string>;
}

interface RoundRobinScores {
  readonly signature: string;
  readonly current: Float64Array;
}

const monotonicNow = (): number => performance.now();

/**
 * What outlives a runtime: token buckets (by policy id), passive health and in-flight counts (by
 * backend id), round-robin positions (by route id + rule index), keep-alive pools (by origin and
 * connect timeout), the telemetry instruments and the WebSocket proxy. `compileRuntime` takes
 * what it needs by stable id and, once the new runtime is built, commits: entries whose ids the
 * new snapshot no longer has are dropped (pools close once the runtimes still using them retire).
 */
export class RuntimeState {
  readonly clock: () => number;
  readonly random: () => number;
  readonly metrics: RuntimeMetrics | null;
  readonly requestIds = new RequestIds();
  readonly websockets: WebSocketProxy;
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
    this.#bucketOptions = { maxKeys: options.rateLimitKeysPerPolicy ?? 100_000, sweepEveryMs: 60_000 };
    this.#keepAliveMs = options.upstreamKeepAliveMs ?? 4_000;
    this.websockets = new WebSocketProxy();
  }

  /** Backends with passive-health state (for tests and diagnostics). */
  get backendIds(): readonly string[] {
    return [...this.#health.keys()];
  }

  /** Policies with token buckets (for tests and diagnostics). */
  get policyIds(): readonly string[] {
    return [...this.#buckets.keys()];
  }

  /** @internal compileRuntime: the health of `backendId`, created on first use. */
  health(backendId: string): BackendHealth {
    let health = this.#health.get(backendId);
    if (health === undefined) {
      health = new BackendHealth(backendId);
      this.#health.set(backendId, health);
    }
    return health;
  }

  /** @internal compileRuntime: the keep-alive pool to `origin` with this connect timeout. */
  pool(origin: string, connectMs: number): UpstreamPool {
    const key = `${origin}|${connectMs}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = new UpstreamPool(key, origin, { connectMs, keepAliveMs: this.#keepAliveMs }, this.#forgetPool);
      this.#pools.set(key, pool);
      this.#openPools.add(pool);
    }
    return pool;
  }

  /** @internal compileRuntime: the buckets of `policyId`, reconfigured to `params`. */
  buckets(policyId: string, params: BucketParams): BucketStore {
    let store = this.#buckets.get(policyId);
    if (store === undefined) {
      store = new BucketStore(params, this.#bucketOptions, this.clock());
      this.#buckets.set(policyId, store);
    } else {
      store.reconfigure(params);
    }
    return store;
  }

  /** @internal compileRuntime: round-robin scores of a rule, kept while its backend list is the same. */
  roundRobinScores(ruleKey: string, backendIds: readonly string[]): Float64Array {
    const signature = backendIds.join('\n');
    const existing = this.#roundRobin.get(ruleKey);
    if (existing !== undefined && existing.signature === signature) return existing.current;
    const current = new Float64Array(backendIds.length);
    this.#roundRobin.set(ruleKey, { signature, current });
    return current;
  }

  /** @internal compileRuntime: drops what the committed runtime does not use. */
  commit(usage: StateUsage): void {
    for (const id of this.#health.keys()) if (!usage.backends.has(id)) this.#health.delete(id);
    for (const id of this.#buckets.keys()) if (!usage.policies.has(id)) this.#buckets.delete(id);
    for (const key of this.#roundRobin.keys()) if (!usage.rules.has(key)) this.#roundRobin.delete(key);
    for (const [key, pool] of this.#pools) {
      if (usage.pools.has(pool)) continue;
      this.#pools.delete(key);
      pool.drop();
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
