import { MetricNames } from '@hubpo/telemetry';
import type { HotCounter, HotHistogram, Telemetry } from '@hubpo/telemetry';

type Attributes = Readonly<Record<string, string>>;

/** `gen_ai.operation.name` values the gateway serves. */
export type GenAIOperation = 'chat' | 'embeddings';

/** Token-count buckets the GenAI semantic conventions advise (powers of 4). */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];

/**
 * Attribute sets of one (target, operation), built on first use and reused, so recording
 * allocates nothing (error attribute sets are cached per error code). They are frozen: the hot
 * meter resolves a frozen set to its series once, by identity, instead of hashing it per call.
 * Attributes follow the GenAI semantic conventions: `gen_ai.operation.name`,
 * `gen_ai.provider.name`, `gen_ai.request.model` (the AIModel name the client sent),
 * `gen_ai.response.model` (the target's provider model id), plus `hubpo.target`.
 */
export class TargetMetricAttributes {
  readonly base: Attributes;
  readonly input: Attributes;
  readonly output: Attributes;
  readonly #errors = new Map<string, Attributes>();

  constructor(
    operation: GenAIOperation,
    provider: string,
    model: string,
    providerModel: string,
    target: string,
  ) {
    this.base = Object.freeze({
      'gen_ai.operation.name': operation,
      'gen_ai.provider.name': provider,
      'gen_ai.request.model': model,
      'gen_ai.response.model': providerModel,
      'hubpo.target': target,
    });
    this.input = Object.freeze({ ...this.base, 'gen_ai.token.type': 'input' });
    this.output = Object.freeze({ ...this.base, 'gen_ai.token.type': 'output' });
  }

  /** The base set plus `error.type` (a stable HUBPO_ERR_* code). */
  error(code: string): Attributes {
    let attrs = this.#errors.get(code);
    if (attrs === undefined) {
      attrs = Object.freeze({ ...this.base, 'error.type': code });
      this.#errors.set(code, attrs);
    }
    return attrs;
  }
}

/** What one finished AI call adds to the metrics. */
export interface AIMetricSample {
  readonly attributes: TargetMetricAttributes;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Whole call, seconds. */
  readonly durationS: number;
  /** Seconds to the first token sent, or -1 when none (non-streaming, failures). */
  readonly timeToFirstTokenS: number;
  /** USD, or -1 when the target is unpriced. */
  readonly costUsd: number;
  /** `error.type`: the stable HUBPO_ERR_* code, `client_closed`, or null on success. */
  readonly errorCode: string | null;
}

/**
 * The AI data path's instruments (`@hubpo/telemetry` `MetricNames`), created once per
 * `RuntimeState`; null there when metrics are off, so recording costs one null check. They come
 * from the hot meter: a call records 4-6 values, each in tens of nanoseconds (the SDK meter's
 * attribute hashing cost about 14 µs per call; `packages/telemetry/bench/record.bench.ts`).
 */
export class AIMetrics {
  readonly tokenUsage: HotHistogram;
  readonly duration: HotHistogram;
  readonly timeToFirstToken: HotHistogram;
  readonly cost: HotCounter;
  readonly unpriced: HotCounter;

  constructor(telemetry: Telemetry) {
    const meter = telemetry.hotMeter;
    this.tokenUsage = meter.createHistogram(MetricNames.genAiTokenUsage, {
      description: 'Tokens used per AI call, by token type (input, output), model and target.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    });
    this.duration = meter.createHistogram(MetricNames.genAiOperationDuration, {
      description: 'Duration of AI calls as the client sees them (retries and fallback included).',
      unit: 's',
    });
    this.timeToFirstToken = meter.createHistogram(MetricNames.genAiTimeToFirstToken, {
      description: 'Time from the request to the first output token sent to the client (streams).',
      unit: 's',
    });
    this.cost = meter.createCounter(MetricNames.genAiCost, {
      description: 'Cost of AI calls from the target pricing, USD.',
      unit: 'USD',
    });
    this.unpriced = meter.createCounter(MetricNames.genAiUnpriced, {
      description: 'AI calls served by a target without pricing (cost unknown).',
    });
  }

  record(sample: AIMetricSample): void {
    const attrs = sample.attributes;
    if (sample.errorCode !== null) {
      this.duration.record(sample.durationS, attrs.error(sample.errorCode));
    } else {
      this.duration.record(sample.durationS, attrs.base);
    }
    if (sample.inputTokens > 0) this.tokenUsage.record(sample.inputTokens, attrs.input);
    if (sample.outputTokens > 0) this.tokenUsage.record(sample.outputTokens, attrs.output);
    if (sample.timeToFirstTokenS >= 0) this.timeToFirstToken.record(sample.timeToFirstTokenS, attrs.base);
    if (sample.costUsd > 0) this.cost.add(sample.costUsd, attrs.base);
    else if (sample.costUsd < 0) this.unpriced.add(1, attrs.base);
  }
}
