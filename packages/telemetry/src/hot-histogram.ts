import type { Attributes, HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, HistogramMetricData, MetricDescriptor } from '@opentelemetry/sdk-metrics';
import { SeriesTable } from './series-table.js';

/** One series of a histogram: recording is a few additions and a bucket search, no lookup. */
export interface BoundHistogram {
  /** Records `value` (>= 0; negative values and NaN are dropped, as the SDK drops them). */
  record(value: number): void;
}

/**
 * A histogram for hot paths, aggregated in process and exported through the Prometheus reader
 * with the same data the SDK's explicit-bucket histogram gives (count, sum, min, max, bucket
 * counts; cumulative). Pass attribute sets cached frozen (`Object.freeze`): they are resolved
 * once per object, any other set is hashed on every call as the SDK does.
 */
export interface HotHistogram {
  record(value: number, attributes?: Attributes): void;
  /** The series of `attributes`, for callers that can keep it (no lookup per recording). */
  bind(attributes?: Attributes): BoundHistogram;
}

/** The SDK's default explicit bucket boundaries (`HistogramAggregation`). */
export const DEFAULT_HISTOGRAM_BOUNDARIES: readonly number[] = Object.freeze([
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
]);

/** Boundaries as the SDK normalizes them: sorted, without -Infinity and Infinity. */
export function histogramBoundaries(boundaries: readonly number[]): number[] {
  return [...boundaries].sort((a, b) => a - b).filter((b) => b !== Infinity && b !== -Infinity);
}

class HistogramSeries implements BoundHistogram {
  readonly attributes: Attributes;
  readonly startTime: HrTime;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  readonly #boundaries: Float64Array;
  /** Per bucket, the last one (above every boundary) included. */
  readonly #counts: Float64Array;

  constructor(attributes: Attributes, boundaries: Float64Array) {
    this.attributes = attributes;
    this.startTime = millisToHrTime(Date.now());
    this.#boundaries = boundaries;
    this.#counts = new Float64Array(boundaries.length + 1);
  }

  record(value: number): void {
    if (!(value >= 0)) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    // The first boundary >= value (upper bounds are inclusive, Prometheus `le`), as the SDK's
    // binarySearchUB finds it.
    const bounds = this.#boundaries;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    this.#counts[lo] = this.#counts[lo]! + 1;
  }

  /** A copy of the series now: later recordings do not change it. */
  point(boundaries: number[], endTime: HrTime): DataPoint<Histogram> {
    return {
      attributes: this.attributes,
      startTime: this.startTime,
      endTime,
      value: {
        min: this.min,
        max: this.max,
        sum: this.sum,
        buckets: { boundaries, counts: Array.from(this.#counts) },
        count: this.count,
      },
    };
  }
}

/** @internal `HotMeter`: a histogram and its series, collected as the SDK's MetricData. */
export class AggregatingHistogram implements HotHistogram {
  readonly descriptor: MetricDescriptor;
  readonly #boundaries: number[];
  readonly #table: SeriesTable<HistogramSeries>;

  constructor(descriptor: MetricDescriptor, boundaries: readonly number[]) {
    this.descriptor = descriptor;
    this.#boundaries = histogramBoundaries(boundaries);
    const search = Float64Array.from(this.#boundaries);
    this.#table = new SeriesTable((attributes) => new HistogramSeries(attributes, search));
  }

  record(value: number, attributes?: Attributes): void {
    this.#table.get(attributes).record(value);
  }

  bind(attributes?: Attributes): BoundHistogram {
    return this.#table.get(attributes);
  }

  /** The series that took a value, or undefined (the SDK exports no metric without points). */
  collect(endTime: HrTime): HistogramMetricData | undefined {
    const dataPoints: DataPoint<Histogram>[] = [];
    const boundaries = [...this.#boundaries];
    for (const series of this.#table.series) {
      if (series.count > 0) dataPoints.push(series.point(boundaries, endTime));
    }
    if (dataPoints.length === 0) return undefined;
    return {
      descriptor: this.descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints,
    };
  }
}

const NOOP_BOUND_HISTOGRAM: BoundHistogram = Object.freeze({ record: (): void => undefined });

/** Metrics off: records nothing and allocates nothing. */
export const NOOP_HOT_HISTOGRAM: HotHistogram = Object.freeze({
  record: (): void => undefined,
  bind: (): BoundHistogram => NOOP_BOUND_HISTOGRAM,
});
