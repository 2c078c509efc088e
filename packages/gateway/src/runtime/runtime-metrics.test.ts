import { createTelemetry } from '@hubpo/telemetry';
import { scrapeMetrics } from '@hubpo/testkit';
import { RuleMetrics, RuntimeMetrics } from './runtime-metrics.js';

const scrape = scrapeMetrics;

describe('RuntimeMetrics', () => {
  it('exports durations by route, rule and status class, the counters and the active gauge at once', async () => {
    const telemetry = createTelemetry({ serviceName: 'runtime-metrics-test' });
    const metrics = new RuntimeMetrics(telemetry);
    const shop = new RuleMetrics('ns/shop', 'main');
    const other = new RuleMetrics('ns/other', '0');
    const ok = shop.byStatusClass[RuntimeMetrics.statusClass(200)]!;
    metrics.recordDuration(0.004, ok);
    metrics.recordDuration(0.03, ok);
    metrics.recordDuration(0.7, shop.byStatusClass[RuntimeMetrics.statusClass(503)]!);
    metrics.requestDuration.record(0.0002, other.byStatusClass[RuntimeMetrics.statusClass(101)]);
    metrics.upstreamErrors.add(1, shop.upstreamErrors.timeout);
    metrics.upstreamErrors.add(1, shop.upstreamErrors.timeout);
    metrics.authRejected.add(1, other.authRejected.invalid);
    metrics.rateLimited.add(1, shop.rule);
    metrics.recordEjection('backend-1');
    metrics.recordEjection('backend-1');
    metrics.active = 3;
    // No flush or wait: the first scrape after the recordings has them all.
    const lines = await scrape(telemetry);
    const find = (prefix: string, ...parts: string[]): string | undefined =>
      lines.find((l) => l.startsWith(prefix) && parts.every((p) => l.includes(p)));
    const shop2xx = ['hubpo_route="ns/shop"', 'hubpo_rule="main"', 'http_response_status_class="2xx"'];
    expect(find('http_server_request_duration_count{', ...shop2xx)).toMatch(/ 2$/);
    expect(find('http_server_request_duration_sum{', ...shop2xx)).toMatch(/ 0\.034$/);
    expect(find('http_server_request_duration_bucket{', ...shop2xx, 'le="0.005"')).toMatch(/ 1$/);
    expect(find('http_server_request_duration_bucket{', ...shop2xx, 'le="0.025"')).toMatch(/ 1$/);
    expect(find('http_server_request_duration_bucket{', ...shop2xx, 'le="0.05"')).toMatch(/ 2$/);
    expect(
      find('http_server_request_duration_count{', 'hubpo_route="ns/shop"', 'status_class="5xx"'),
    ).toMatch(/ 1$/);
    expect(find('http_server_request_duration_bucket{', 'hubpo_route="ns/other"', 'le="0.0005"')).toMatch(
      / 1$/,
    );
    expect(
      find('hubpo_gateway_upstream_errors_total{', 'hubpo_route="ns/shop"', 'error_type="timeout"'),
    ).toMatch(/ 2$/);
    expect(find('hubpo_gateway_auth_rejected_total{', 'hubpo_auth_reason="invalid"')).toMatch(/ 1$/);
    expect(find('hubpo_gateway_ratelimit_rejected_total{', 'hubpo_route="ns/shop"')).toMatch(/ 1$/);
    expect(find('hubpo_gateway_backend_ejections_total{', 'hubpo_backend="backend-1"')).toMatch(/ 2$/);
    expect(find('hubpo_gateway_upstream_retries')).toBeUndefined();
    expect(find('hubpo_gateway_requests_active{')).toMatch(/ 3$/);
    await telemetry.shutdown();
  });
});
