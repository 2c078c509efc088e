import type { Telemetry } from '@hubpo/telemetry';

/** How a record reached the control plane. */
export type UsageTransport = 'jetstream' | 'grpc';

const NAMES = Object.freeze({
  stored: 'hubpo.controlplane.usage.stored',
  duplicates: 'hubpo.controlplane.usage.duplicates',
  invalid: 'hubpo.controlplane.usage.invalid',
});

type Counter = ReturnType<Telemetry['meter']['createCounter']>;
type Attributes = Parameters<Counter['add']>[1];

/**
 * The store's counters, shared by both transports (the JetStream consumer and the gRPC
 * `UsageReporting` service) and labelled with `transport`. Without a meter every call is a no-op.
 */
export class UsageStoreMetrics {
  readonly #stored: Counter | undefined;
  readonly #duplicates: Counter | undefined;
  readonly #invalid: Counter | undefined;
  readonly #attributes: Attributes;

  constructor(meter: Telemetry['meter'] | undefined, transport: UsageTransport) {
    this.#attributes = Object.freeze({ transport });
    if (meter === undefined) return;
    this.#stored = meter.createCounter(NAMES.stored, { description: 'Usage records stored' });
    this.#duplicates = meter.createCounter(NAMES.duplicates, {
      description: 'Usage records received again (redelivery or re-publish) and ignored',
    });
    this.#invalid = meter.createCounter(NAMES.invalid, {
      description: 'Usage messages that were not a storable UsageRecord',
    });
  }

  stored(count: number): void {
    if (count > 0) this.#stored?.add(count, this.#attributes);
  }

  duplicates(count: number): void {
    if (count > 0) this.#duplicates?.add(count, this.#attributes);
  }

  invalid(count: number): void {
    if (count > 0) this.#invalid?.add(count, this.#attributes);
  }
}
