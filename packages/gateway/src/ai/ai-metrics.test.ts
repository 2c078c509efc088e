import { createTelemetry } from '@hubpo/telemetry';
import { scrapeMetrics } from '@hubpo/testkit';
import { AIMetrics, TargetMetricAttributes } from './ai-metrics.js';
import type { AIMetricSample } from './ai-metrics.js';

const scrape = scrapeMetrics;

const sample = (attributes: TargetMetricAttributes, over: Partial<AIMetricSample> = {}): AIMetricSample => ({
  attributes,
  inputTokens: 10,
  outputTokens: 20,
  durationS: 0.2,
  timeToFirstTokenS: -1,
  costUsd: 0.5,
  errorCode: null,
  ...over,
});

describe('AIMetrics', () => {
  it('records tokens, durations, time to first token, cost and unpriced calls per target and error', async () => {
    const telemetry = createTelemetry({ serviceName: 'ai-metrics-test' });
    const metrics = new AIMetrics(telemetry);
    const a = new TargetMetricAttributes('chat', 'openai', 'chat', 'gpt-x', 'a');
    const b = new TargetMetricAttributes('chat', 'mock', 'chat', 'echo', 'b');
    metrics.record(sample(a));
    metrics.record(sample(a, { inputTokens: 300, durationS: 1.5, timeToFirstTokenS: 0.004, costUsd: 0.25 }));
    metrics.record(sample(a, { outputTokens: 0, costUsd: 0, durationS: 3, errorCode: 'HUBPO_ERR_PROVIDER' }));
    metrics.record(sample(b, { costUsd: -1 }));
    const lines = await scrape(telemetry);
    // A part starting with `!` must not be in the line.
    const find = (prefix: string, ...parts: string[]): string | undefined =>
      lines.find(
        (l) =>
          l.startsWith(prefix) &&
          parts.every((p) => (p.startsWith('!') ? !l.includes(p.slice(1)) : l.includes(p))),
      );
    const ok = ['hubpo_target="a"', 'gen_ai_operation_name="chat"', 'gen_ai_response_model="gpt-x"'];

    expect(find('gen_ai_client_operation_duration_count{', ...ok, '!error_type')).toMatch(/ 2$/);
    expect(find('gen_ai_client_operation_duration_sum{', ...ok, '!error_type')).toMatch(/ 1\.7$/);
    expect(find('gen_ai_client_operation_duration_bucket{', ...ok, '!error_type', 'le="0.25"')).toMatch(
      / 1$/,
    );
    expect(find('gen_ai_client_operation_duration_bucket{', ...ok, '!error_type', 'le="2.5"')).toMatch(/ 2$/);
    const failed = [...ok, 'error_type="HUBPO_ERR_PROVIDER"'];
    expect(find('gen_ai_client_operation_duration_count{', ...failed)).toMatch(/ 1$/);
    expect(find('gen_ai_client_operation_duration_bucket{', ...failed, 'le="2.5"')).toMatch(/ 0$/);
    expect(find('gen_ai_client_operation_duration_bucket{', ...failed, 'le="5"')).toMatch(/ 1$/);

    // Input tokens of three calls (10, 300, 10), output tokens of two (the failed call had none).
    expect(find('gen_ai_client_token_usage_count{', ...ok, 'gen_ai_token_type="input"')).toMatch(/ 3$/);
    expect(find('gen_ai_client_token_usage_sum{', ...ok, 'gen_ai_token_type="input"')).toMatch(/ 320$/);
    expect(find('gen_ai_client_token_usage_bucket{', ...ok, 'gen_ai_token_type="input"', 'le="16"')).toMatch(
      / 2$/,
    );
    expect(find('gen_ai_client_token_usage_bucket{', ...ok, 'gen_ai_token_type="input"', 'le="256"')).toMatch(
      / 2$/,
    );
    expect(
      find('gen_ai_client_token_usage_bucket{', ...ok, 'gen_ai_token_type="input"', 'le="1024"'),
    ).toMatch(/ 3$/);
    expect(find('gen_ai_client_token_usage_count{', ...ok, 'gen_ai_token_type="output"')).toMatch(/ 2$/);

    expect(find('gen_ai_server_time_to_first_token_count{', ...ok)).toMatch(/ 1$/);
    expect(find('gen_ai_server_time_to_first_token_bucket{', ...ok, 'le="0.005"')).toMatch(/ 1$/);
    expect(find('gen_ai_server_time_to_first_token_count{', 'hubpo_target="b"')).toBeUndefined();
    expect(find('hubpo_gen_ai_cost_total{', ...ok)).toMatch(/ 0\.75$/);
    expect(find('hubpo_gen_ai_cost_total{', 'hubpo_target="b"')).toBeUndefined();
    expect(find('hubpo_gen_ai_unpriced_requests_total{', 'hubpo_target="b"')).toMatch(/ 1$/);
    expect(find('hubpo_gen_ai_unpriced_requests_total{', 'hubpo_target="a"')).toBeUndefined();
    await telemetry.shutdown();
  });
});
