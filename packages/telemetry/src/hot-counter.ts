import type { Attributes, HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import type { DataPoint, MetricDescriptor, SumMetricData } from '@opentelemetry/sdk-metrics';
import { SeriesTable } from './series-table.js';

/** One series of a counter: adding is one addition, no lookup. */
export interface BoundCounter {
  /** Adds `value` (>= 0; negative values and NaN are dropped). */
  add(value: number): void;
}

/**
 * A monotonic counter for hot paths, aggregated in process and exported through the Prometheus
 * reader as the SDK's counter is (a cumulative monotonic sum). Pass attribute sets cached frozen
 * (`Object.freeze`): they are resolved once per object, any other set is hashed on every call as
 * the SDK does.
 */
export interface HotCounter {
  add(value: number, attributes?: Attributes): void;
  /** The series of `attributes`, for callers that can keep it (no lookup per recording). */
  bind(attributes?: Attributes): BoundCounter;
}

class CounterSeries implements BoundCounter {
  readonly attributes: Attributes;
  readonly startTime: HrTime;
  value = 0;
  /** Exported once anything was added, zero included (an SDK counter shows `add(0)` too). */
  added = false;

  constructor(attributes: Attributes) {
    this.attributes = attributes;
    this.startTime = millisToHrTime(Date.now());
  }

  add(value: number): void {
    if (!(value >= 0)) return;
    this.value += value;
    this.added = true;
  }
}

/** @internal `HotMeter`: a counter and its series, collected as the SDK's MetricData. */
export class AggregatingCounter implements HotCounter {
  readonly descriptor: MetricDescriptor;
  readonly #table = new SeriesTable((attributes) => new CounterSeries(attributes));

  constructor(descriptor: MetricDescriptor) {
    this.descriptor = descriptor;
  }

  add(value: number, attributes?: Attributes): void {
    this.#table.get(attributes).add(value);
  }

  bind(attributes?: Attributes): BoundCounter {
    return this.#table.get(attributes);
  }

  /** The series added to, or undefined (the SDK exports no metric without points). */
  collect(endTime: HrTime): SumMetricData | undefined {
    const dataPoints: DataPoint<number>[] = [];
    for (const series of this.#table.series) {
      if (series.added) {
        dataPoints.push({
          attributes: series.attributes,
          startTime: series.startTime,
          endTime,
          value: series.value,
        });
      }
    }
    if (dataPoints.length === 0) return undefined;
    return {
      descriptor: this.descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      dataPoints,
      isMonotonic: true,
    };
  }
}

const NOOP_BOUND_COUNTER: BoundCounter = Object.freeze({ add: (): void => undefined });

/** Metrics off: counts nothing and allocates nothing. */
export const NOOP_HOT_COUNTER: HotCounter = Object.freeze({
  add: (): void => undefined,
  bind: (): BoundCounter => NOOP_BOUND_COUNTER,
});
