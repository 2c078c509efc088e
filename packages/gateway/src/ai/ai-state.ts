import type { Telemetry } from '@hubpo/telemetry';
import type { Tracer } from '@opentelemetry/api';
import type { AILogSink } from './ai-log-sink.js';
import { AIMetrics } from './ai-metrics.js';
import { CircuitBreaker, DEFAULT_BREAKER_SETTINGS } from './circuit-breaker.js';
import type { BreakerSettings } from './circuit-breaker.js';
import { LatencyEwma } from './latency-ewma.js';
import { DISCARD_USAGE } from './usage-sink.js';
import type { UsageSink } from './usage-sink.js';

/** Largest AI request body read (413 beyond): 10 MiB, room for a few base64 images. */
export const DEFAULT_MAX_AI_BODY_BYTES = 10 * 1024 * 1024;
/** Connect timeout of provider pools. */
export const DEFAULT_AI_CONNECT_MS = 5_000;

/** Options of the AI data path, given to `RuntimeState` (`RuntimeStateOptions.ai`). */
export interface AIOptions {
  /** Where usage records go; by default they are dropped. */
  readonly usageSink?: UsageSink;
  /** `HUBPO_DATAPLANE_KEY`: opens the sealed provider credentials of the snapshot. */
  readonly dataplaneKey?: Buffer;
  readonly breaker?: Partial<BreakerSettings>;
  /** EWMA weight of a new latency sample (LeastLatency), default 0.3. */
  readonly latencyAlpha?: number;
  readonly maxBodyBytes?: number;
  readonly connectMs?: number;
  /**
   * Told about targets left out at compile (credential that does not open, unknown provider,
   * invalid endpoint). Messages name the target, never a credential.
   */
  readonly warn?: (message: string, fields: Readonly<Record<string, string>>) => void;
  /** Where `aiLogging` policies write prompt/completion lines; by default they are dropped. */
  readonly aiLog?: AILogSink;
}

/** What outlives a runtime for one AI target (id `<AIModel id>/<target name>`). */
export class AITargetState {
  readonly id: string;
  readonly breaker: CircuitBreaker;
  readonly latency: LatencyEwma;

  constructor(id: string, breaker: BreakerSettings, latencyAlpha: number) {
    this.id = id;
    this.breaker = new CircuitBreaker(breaker);
    this.latency = new LatencyEwma(latencyAlpha);
  }
}

/** AI target states one compilation takes; committed with the runtime (see `RuntimeState`). */
export class AIStateDraft {
  readonly targets = new Map<string, AITargetState>();
}

/**
 * The AI data path's part of `RuntimeState`: options, instruments, and per-target breakers and
 * latency averages carried across snapshot swaps by target id. Targets that leave the snapshot
 * are dropped at commit (a target that comes back starts closed and unmeasured).
 */
export class AIState {
  readonly usageSink: UsageSink;
  readonly dataplaneKey: Buffer | null;
  readonly breaker: BreakerSettings;
  readonly latencyAlpha: number;
  readonly maxBodyBytes: number;
  readonly connectMs: number;
  readonly metrics: AIMetrics | null;
  /** Null unless tracing is on (then spans are recorded for every AI call). */
  readonly tracer: Tracer | null;
  readonly warn: (message: string, fields: Readonly<Record<string, string>>) => void;
  readonly aiLog: AILogSink;
  readonly #targets = new Map<string, AITargetState>();

  constructor(options: AIOptions = {}, telemetry?: Telemetry) {
    this.usageSink = options.usageSink ?? DISCARD_USAGE;
    this.dataplaneKey = options.dataplaneKey ?? null;
    this.breaker = Object.freeze({ ...DEFAULT_BREAKER_SETTINGS, ...options.breaker });
    this.latencyAlpha = options.latencyAlpha ?? 0.3;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_AI_BODY_BYTES;
    this.connectMs = options.connectMs ?? DEFAULT_AI_CONNECT_MS;
    this.metrics = telemetry !== undefined && telemetry.metricsEnabled ? new AIMetrics(telemetry) : null;
    this.tracer = telemetry !== undefined && telemetry.tracingEnabled ? telemetry.tracer : null;
    this.warn = options.warn ?? noWarn;
    this.aiLog = options.aiLog ?? DISCARD_AI_LOG;
  }

  /** Target ids with state (tests, diagnostics). */
  get targetIds(): readonly string[] {
    return [...this.#targets.keys()];
  }

  /** The state of target `id` (tests, diagnostics). */
  targetState(id: string): AITargetState | undefined {
    return this.#targets.get(id);
  }

  /** @internal compileRuntime: the state of target `id`, existing or new. */
  target(draft: AIStateDraft, id: string): AITargetState {
    let state = draft.targets.get(id);
    if (state === undefined) {
      state = this.#targets.get(id) ?? new AITargetState(id, this.breaker, this.latencyAlpha);
      draft.targets.set(id, state);
    }
    return state;
  }

  /** @internal compileRuntime: the draft becomes the state. */
  commit(draft: AIStateDraft): void {
    this.#targets.clear();
    for (const [id, state] of draft.targets) this.#targets.set(id, state);
  }
}

const DISCARD_AI_LOG: AILogSink = Object.freeze({ write: noWarn });

function noWarn(): void {
  // no listener
}
