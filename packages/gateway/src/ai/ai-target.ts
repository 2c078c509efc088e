import type { Capabilities, Credentials, ProviderAdapter, TargetConfig } from '@hubpo/ai-providers';
import type { UpstreamPool } from '../runtime/upstream-pool.js';
import { TargetMetricAttributes } from './ai-metrics.js';
import type { GenAIOperation } from './ai-metrics.js';
import type { AITargetState } from './ai-state.js';
import type { PriceSchedule } from './price-schedule.js';

/** Providers speaking OpenAI's chat dialect itself (Mistral's differs: usage, content arrays). */
const OPENAI_PASSTHROUGH: ReadonlySet<string> = new Set(['openai', 'azure-openai', 'openai-compatible']);

export interface AITargetSpec {
  /** `<AIModel id>/<target name>`: the key of its breaker and latency in `RuntimeState`. */
  readonly id: string;
  readonly name: string;
  /** The provider as the AIModel names it (`vertex-ai` stays `vertex-ai`). */
  readonly provider: string;
  readonly modelName: string;
  readonly adapter: ProviderAdapter;
  readonly config: TargetConfig;
  /** Opened at compile; never logged, never rendered. */
  readonly credentials: Credentials;
  readonly capabilities: Capabilities;
  readonly weight: number;
  readonly priority: number;
  /** Position in the AIModel's target list (the last tie-break). */
  readonly index: number;
  readonly prices: PriceSchedule;
  readonly state: AITargetState;
  /** Keep-alive pools by origin (chat and embeddings URLs may differ); empty for a local target. */
  readonly pools: ReadonlyMap<string, UpstreamPool>;
}

/**
 * One target of an AIModel, compiled at snapshot load: adapter, opened credentials, merged
 * capabilities, prices, pools, and the carried breaker and latency. A `local` target (the
 * `mock` provider without an endpoint) answers in-process through the mock adapter.
 */
export class AITarget implements AITargetSpec {
  readonly id: string;
  readonly name: string;
  readonly provider: string;
  readonly modelName: string;
  readonly adapter: ProviderAdapter;
  readonly config: TargetConfig;
  readonly credentials: Credentials;
  readonly capabilities: Capabilities;
  readonly weight: number;
  readonly priority: number;
  readonly index: number;
  readonly prices: PriceSchedule;
  readonly state: AITargetState;
  readonly pools: ReadonlyMap<string, UpstreamPool>;
  readonly local: boolean;
  /**
   * An OpenAI-dialect provider whose chat answers reach an OpenAI client nearly as the provider
   * wrote them (`OpenAIStreamPassthrough`), instead of being decoded and re-rendered.
   */
  readonly openAIPassthrough: boolean;
  #chat: TargetMetricAttributes | null = null;
  #embeddings: TargetMetricAttributes | null = null;

  constructor(spec: AITargetSpec) {
    this.id = spec.id;
    this.name = spec.name;
    this.provider = spec.provider;
    this.modelName = spec.modelName;
    this.adapter = spec.adapter;
    this.config = spec.config;
    this.credentials = spec.credentials;
    this.capabilities = spec.capabilities;
    this.weight = spec.weight;
    this.priority = spec.priority;
    this.index = spec.index;
    this.prices = spec.prices;
    this.state = spec.state;
    this.pools = spec.pools;
    this.local = spec.adapter.id === 'mock' && spec.config.endpoint === undefined;
    this.openAIPassthrough = OPENAI_PASSTHROUGH.has(spec.adapter.id);
  }

  /** Whether this target can serve `/v1/embeddings`. */
  get embeddings(): boolean {
    return this.capabilities.embeddings && (this.local || this.adapter.buildEmbeddingsRequest !== undefined);
  }

  /** Metric attribute sets of an operation on this target (built on first use). */
  attributes(operation: GenAIOperation): TargetMetricAttributes {
    if (operation === 'chat')
      return (this.#chat ??= new TargetMetricAttributes(
        'chat',
        this.provider,
        this.modelName,
        this.config.model,
        this.name,
      ));
    return (this.#embeddings ??= new TargetMetricAttributes(
      'embeddings',
      this.provider,
      this.modelName,
      this.config.model,
      this.name,
    ));
  }
}
