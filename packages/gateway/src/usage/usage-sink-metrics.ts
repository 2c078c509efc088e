import type { Attributes, Counter } from '@opentelemetry/api';
import type { Telemetry } from '@hubpo/telemetry';

/** Why a usage record was not published. */
export type UsageDropReason = 'queue_full' | 'invalid' | 'shutdown';

/*
 * Instrument names of the gateway's usage publisher (docs/design/usage-pipeline.md). They live
 * here rather than in @hubpo/telemetry's MetricNames because only this module records them.
 */
export const USAGE_METRIC_NAMES = Object.freeze({
  published: 'hubpo.gateway.usage.published',
  dropped: 'hubpo.gateway.usage.dropped',
  publishFailures: 'hubpo.gateway.usage.publish_failures',
  queued: 'hubpo.gateway.usage.queued',
});

const DROP_ATTRIBUTES: Readonly<Record<UsageDropReason, Attributes>> = Object.freeze({
  queue_full: Object.freeze({ reason: 'queue_full' }),
  invalid: Object.freeze({ reason: 'invalid' }),
  shutdown: Object.freeze({ reason: 'shutdown' }),
});
const FIRST = Object.freeze({ duplicate: false });
const DUPLICATE = Object.freeze({ duplicate: true });

/** The publisher's instruments; without a meter every call is a no-op. */
export class UsageSinkMetrics {
  readonly #published: Counter | undefined;
  readonly #dropped: Counter | undefined;
  readonly #failures: Counter | undefined;

  constructor(meter: Telemetry['meter'] | undefined, queued: () => number) {
    if (meter === undefined) return;
    this.#published = meter.createCounter(USAGE_METRIC_NAMES.published, {
      description:
        'Usage records acknowledged by the HUBPO_USAGE stream or the control plane (duplicate: a retry already stored)',
    });
    this.#dropped = meter.createCounter(USAGE_METRIC_NAMES.dropped, {
      description: 'Usage records never published: queue full (oldest dropped), invalid, or lost at shutdown',
    });
    this.#failures = meter.createCounter(USAGE_METRIC_NAMES.publishFailures, {
      description: 'Failed publish attempts (the record was queued again and retried)',
    });
    meter
      .createObservableGauge(USAGE_METRIC_NAMES.queued, {
        description: 'Usage records buffered or awaiting their PubAck',
      })
      .addCallback((result) => result.observe(queued()));
  }

  published(duplicate: boolean, count = 1): void {
    if (count > 0) this.#published?.add(count, duplicate ? DUPLICATE : FIRST);
  }

  dropped(reason: UsageDropReason, count: number): void {
    this.#dropped?.add(count, DROP_ATTRIBUTES[reason]);
  }

  failed(): void {
    this.#failures?.add(1);
  }
}
