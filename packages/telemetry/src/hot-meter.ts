import { ValueType } from '@opentelemetry/api';
import type { MetricOptions } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import type {
  CollectionResult,
  MetricData,
  MetricDescriptor,
  MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { HubpoError } from '@hubpo/core';
import { AggregatingCounter, NOOP_HOT_COUNTER } from './hot-counter.js';
import type { HotCounter } from './hot-counter.js';
import { AggregatingHistogram, DEFAULT_HISTOGRAM_BOUNDARIES, NOOP_HOT_HISTOGRAM } from './hot-histogram.js';
import type { HotHistogram } from './hot-histogram.js';

/** What a hot instrument takes (values are doubles; `advice.explicitBucketBoundaries` applies). */
export type HotInstrumentOptions = Pick<MetricOptions, 'description' | 'unit' | 'advice'>;

/**
 * Synchronous instruments for hot paths (`Telemetry.hotMeter`): the same names, options and
 * exported data as `Telemetry.meter`'s counters and histograms, without the SDK's per-call
 * attribute hashing. Creating an instrument with a name already created here returns the same
 * instrument (its series carry on, as the SDK's storage does); a name is created on one meter only.
 */
export interface HotMeter {
  createHistogram(name: string, options?: HotInstrumentOptions): HotHistogram;
  createCounter(name: string, options?: HotInstrumentOptions): HotCounter;
}

export interface AggregatingMeterOptions {
  /** The SDK meter's scope, so that both export under one `otel_scope_name`. */
  readonly scope: InstrumentationScope;
  readonly resource: Resource;
  /** Bucket boundaries by instrument name (the SDK views'), ahead of an instrument's advice. */
  readonly histogramBoundaries?: ReadonlyMap<string, readonly number[]>;
}

type AggregatingInstrument = AggregatingHistogram | AggregatingCounter;

/**
 * The hot meter of a metrics-enabled `Telemetry`, and the `MetricProducer` through which the
 * Prometheus reader collects it alongside the SDK's instruments (as a second block of the same
 * scope). Temporality is always cumulative, the Prometheus reader's. Metrics and their points come
 * in the order the SDK gives them (series by creation); metrics without points are left out, as
 * the SDK leaves them out.
 */
export class AggregatingMeter implements HotMeter, MetricProducer {
  readonly #scope: InstrumentationScope;
  readonly #resource: Resource;
  readonly #boundaries: ReadonlyMap<string, readonly number[]>;
  readonly #instruments = new Map<string, AggregatingInstrument>();

  constructor(options: AggregatingMeterOptions) {
    this.#scope = options.scope;
    this.#resource = options.resource;
    this.#boundaries = options.histogramBoundaries ?? new Map();
  }

  createHistogram(name: string, options: HotInstrumentOptions = {}): HotHistogram {
    const existing = this.#existing(name, InstrumentType.HISTOGRAM);
    if (existing instanceof AggregatingHistogram) return existing;
    const boundaries =
      this.#boundaries.get(name) ?? options.advice?.explicitBucketBoundaries ?? DEFAULT_HISTOGRAM_BOUNDARIES;
    const histogram = new AggregatingHistogram(
      descriptor(name, InstrumentType.HISTOGRAM, options),
      boundaries,
    );
    this.#instruments.set(name, histogram);
    return histogram;
  }

  createCounter(name: string, options: HotInstrumentOptions = {}): HotCounter {
    const existing = this.#existing(name, InstrumentType.COUNTER);
    if (existing instanceof AggregatingCounter) return existing;
    const counter = new AggregatingCounter(descriptor(name, InstrumentType.COUNTER, options));
    this.#instruments.set(name, counter);
    return counter;
  }

  collect(): Promise<CollectionResult> {
    const endTime = hrTime();
    const metrics: MetricData[] = [];
    // The SDK's order: instruments a view configures first, then the others, each by creation.
    for (const viewed of [true, false]) {
      for (const [name, instrument] of this.#instruments) {
        if (this.#boundaries.has(name) !== viewed) continue;
        const data = instrument.collect(endTime);
        if (data !== undefined) metrics.push(data);
      }
    }
    return Promise.resolve({
      resourceMetrics: {
        resource: this.#resource,
        scopeMetrics: metrics.length === 0 ? [] : [{ scope: this.#scope, metrics }],
      },
      errors: [],
    });
  }

  #existing(name: string, type: InstrumentType): AggregatingInstrument | undefined {
    const existing = this.#instruments.get(name);
    if (existing !== undefined && instrumentType(existing) !== type) {
      throw new HubpoError('CONFLICT', `metric ${name} already exists as a ${instrumentType(existing)}`);
    }
    return existing;
  }
}

function instrumentType(instrument: AggregatingInstrument): InstrumentType {
  return instrument instanceof AggregatingHistogram ? InstrumentType.HISTOGRAM : InstrumentType.COUNTER;
}

/**
 * The descriptor the SDK builds (`createInstrumentDescriptor`), values always doubles; it carries
 * `type` and `advice` too, which `MetricDescriptor` does not name.
 */
function descriptor(name: string, type: InstrumentType, options: HotInstrumentOptions): MetricDescriptor {
  const full = {
    name,
    type,
    description: options.description ?? '',
    unit: options.unit ?? '',
    valueType: ValueType.DOUBLE,
    advice: options.advice ?? {},
  };
  return full;
}

/** Metrics off: instruments that record nothing and allocate nothing. */
export const NOOP_HOT_METER: HotMeter = Object.freeze({
  createHistogram: (): HotHistogram => NOOP_HOT_HISTOGRAM,
  createCounter: (): HotCounter => NOOP_HOT_COUNTER,
});
