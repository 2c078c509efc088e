import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTelemetry } from '@hubpo/telemetry';
import type { TelemetryOptions } from '@hubpo/telemetry';
import { route } from '../../../src/runtime/testdata/config-factories.js';
import { startGateway } from '../runtime/runtime-harness.js';
import { aiModel, aiRule, aiTarget, chatBody, postJson, price } from './ai-fixtures.js';

describe('AI telemetry (GenAI semantic conventions)', () => {
  it('records token usage, duration, time to first token, cost and unpriced calls by model and target; spans carry no prompt', async () => {
    type Exporter = NonNullable<TelemetryOptions['traceExporter']>;
    const finished: Parameters<Exporter['export']>[0][number][] = [];
    const exporter: Exporter = {
      export(spans, done) {
        finished.push(...spans);
        done({ code: 0 });
      },
      shutdown: () => Promise.resolve(),
    };
    const telemetry = createTelemetry({ serviceName: 'ai-test', traceExporter: exporter });
    const gw = await startGateway(
      [
        route('default/ai', [aiRule()]),
        aiModel('chat', [aiTarget('mock', 'mock', { model: 'echo-1', pricing: [price(1, 2)] })]),
        aiModel('free', [aiTarget('free-mock', 'mock')]),
      ],
      { telemetry },
    );
    const metricsServer = createServer((req, res) => telemetry.metricsHandler(req, res));
    await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
    try {
      const secret = 'a very secret prompt';
      await (await postJson(`${gw.url}/v1/chat/completions`, chatBody(secret))).text();
      await (await postJson(`${gw.url}/v1/chat/completions`, chatBody(secret, { stream: true }))).text();
      await (await postJson(`${gw.url}/v1/chat/completions`, chatBody('x', { model: 'free' }))).text();

      const port = (metricsServer.address() as AddressInfo).port;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = (prefix: string, ...parts: string[]): string | undefined =>
        text.split('\n').find((l) => l.startsWith(prefix) && parts.every((p) => l.includes(p)));
      const labels = [
        'gen_ai_operation_name="chat"',
        'gen_ai_request_model="chat"',
        'hubpo_target="mock"',
        'gen_ai_provider_name="mock"',
        'gen_ai_response_model="echo-1"',
      ];
      expect(line('gen_ai_client_token_usage_count', 'gen_ai_token_type="input"', ...labels)).toMatch(/ 2$/);
      expect(line('gen_ai_client_token_usage_count', 'gen_ai_token_type="output"', ...labels)).toMatch(/ 2$/);
      expect(line('gen_ai_client_operation_duration_count', ...labels)).toMatch(/ 2$/);
      expect(line('gen_ai_server_time_to_first_token_count', ...labels)).toMatch(/ 1$/);
      expect(line('hubpo_gen_ai_cost', ...labels)).toBeDefined();
      expect(line('hubpo_gen_ai_unpriced_requests_total', 'hubpo_target="free-mock"')).toMatch(/ 1$/);

      await telemetry.flush();
      const spans = finished;
      const request = spans.find((s) => s.name === 'chat chat');
      expect(request?.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'chat',
        'gen_ai.provider.name': 'mock',
        'hubpo.target': 'mock',
      });
      expect(request!.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      const attempt = spans.find((s) => s.name === 'chat echo-1');
      expect(attempt?.parentSpanContext?.spanId ?? (attempt as any)?.parentSpanId).toBe(
        request!.spanContext().spanId,
      );
      expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(secret);
    } finally {
      metricsServer.close();
      await gw.close();
      await telemetry.shutdown();
    }
  });
});
