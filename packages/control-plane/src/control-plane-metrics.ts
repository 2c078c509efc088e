import { MetricNames } from '@hubpo/telemetry';
import type { Telemetry } from '@hubpo/telemetry';

type Meter = Telemetry['meter'];

/**
 * The control plane's own instruments (names from @hubpo/telemetry). Recording is cheap; the
 * Prometheus exporter reads them on scrape.
 */
export class ControlPlaneMetrics {
  readonly #translationDuration: ReturnType<Meter['createHistogram']>;
  readonly #translationFailures: ReturnType<Meter['createCounter']>;
  readonly #published: ReturnType<Meter['createCounter']>;
  readonly #adminDuration: ReturnType<Meter['createHistogram']>;
  #revision = 0;

  constructor(meter: Meter) {
    this.#translationDuration = meter.createHistogram(MetricNames.translationDuration, {
      description: 'Time to translate and publish the config of every cluster',
      unit: 's',
    });
    this.#translationFailures = meter.createCounter(MetricNames.translationFailures, {
      description: 'Translations that threw; the previous snapshot of the cluster stayed published',
    });
    this.#published = meter.createCounter(MetricNames.snapshotsPublished, {
      description: 'Snapshots published',
    });
    this.#adminDuration = meter.createHistogram(MetricNames.adminRequestDuration, {
      description: 'Admin API request duration',
      unit: 's',
    });
    meter
      .createObservableGauge(MetricNames.configRevision, { description: 'Config revision last translated' })
      .addCallback((result) => result.observe(this.#revision));
  }

  translated(seconds: number, revision: number): void {
    this.#translationDuration.record(seconds);
    this.#revision = revision;
  }

  translationFailed(cluster: string): void {
    this.#translationFailures.add(1, { 'hubpo.cluster': cluster });
  }

  published(cluster: string): void {
    this.#published.add(1, { 'hubpo.cluster': cluster });
  }

  adminRequest(route: string, method: string, status: number, seconds: number): void {
    this.#adminDuration.record(seconds, {
      'http.route': route,
      'http.request.method': method,
      'http.response.status_code': status,
    });
  }
}
