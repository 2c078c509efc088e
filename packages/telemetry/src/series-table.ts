import type { Attributes } from '@opentelemetry/api';

/**
 * Series per instrument, overflow included: the SDK readers' default cardinality limit. Past
 * `limit - 1` attribute sets, new sets share the overflow series (`otel.metric.overflow=true`).
 */
export const CARDINALITY_LIMIT = 2000;

/** Attributes of the series that takes the sets past the cardinality limit (the SDK's name). */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * Content key of an attribute set, as the SDK computes it (`hashAttributes`: keys sorted, then
 * JSON), so two objects with the same content share one series here as they do there.
 */
export function attributesKey(attributes: Attributes): string {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return '';
  keys.sort();
  return JSON.stringify(keys.map((key) => [key, attributes[key]]));
}

/**
 * The series of one instrument by attribute set. A frozen set is resolved by object identity
 * (one WeakMap lookup) after its first use: the hot paths cache their sets frozen, so recording
 * does no hashing (a frozen set's values must not change either, array values included). Any other object is keyed by content on every call (its content may change),
 * which costs what the SDK's lookup does. Series are kept for the life of the instrument
 * (cumulative temporality) and listed in creation order, the order the SDK exports them in.
 */
export class SeriesTable<S> {
  readonly #byIdentity = new WeakMap<Attributes, S>();
  readonly #byKey = new Map<string, S>();
  readonly #series: S[] = [];
  readonly #create: (attributes: Attributes) => S;
  readonly #limit: number;
  #overflow: S | null = null;

  constructor(create: (attributes: Attributes) => S, limit = CARDINALITY_LIMIT) {
    this.#create = create;
    this.#limit = limit;
  }

  /** The series of `attributes` (none: the empty set), created on first use. */
  get(attributes: Attributes | undefined): S {
    const attrs = attributes ?? NO_ATTRIBUTES;
    return this.#byIdentity.get(attrs) ?? this.#resolve(attrs);
  }

  /** Every series, in creation order (the overflow series where it was first needed). */
  get series(): readonly S[] {
    return this.#series;
  }

  #resolve(attributes: Attributes): S {
    const frozen = Object.isFrozen(attributes);
    const key = attributesKey(attributes);
    let series = this.#byKey.get(key);
    if (series === undefined) {
      if (this.#byKey.size < this.#limit - 1) {
        // A series keeps its own immutable copy: the caller may reuse or change a plain object.
        series = this.#create(frozen ? attributes : Object.freeze({ ...attributes }));
        this.#byKey.set(key, series);
        this.#series.push(series);
      } else {
        series = this.#overflowSeries();
      }
    }
    if (frozen) this.#byIdentity.set(attributes, series);
    return series;
  }

  #overflowSeries(): S {
    if (this.#overflow === null) {
      this.#overflow = this.#create(OVERFLOW_ATTRIBUTES);
      this.#series.push(this.#overflow);
    }
    return this.#overflow;
  }
}
