import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createTelemetry, tracingFromEnv } from './telemetry.js';
import { startClientSpan, startServerSpan, traceparentOf } from './trace-context.js';
import { MetricNames } from './metric-names.js';

async function scrape(
  handler: ReturnType<typeof createTelemetry>['metricsHandler'],
): Promise<{ status: number; body: string }> {
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    return { status: res.status, body: await res.text() };
  } finally {
    await new Promise((r) => server.close(r));
  }
}

describe('createTelemetry', () => {
  it('serves recorded metrics in the Prometheus text format', async () => {
    const t = createTelemetry({ serviceName: 'test' });
    const h = t.meter.createHistogram(MetricNames.httpServerRequestDuration, { unit: 's' });
    h.record(0.002, { 'http.route': 'shop/orders', 'http.response.status_code': 200 });
    const c = t.meter.createCounter(MetricNames.rateLimited);
    c.add(3, { policy: 'p' });
    const { status, body } = await scrape(t.metricsHandler);
    expect(status).toBe(200);
    expect(body).toMatch(/http_server_request_duration(_seconds)?_bucket\{[^}]*le="0.0025"[^}]*\} 1/);
    expect(body).toMatch(/hubpo_gateway_ratelimit_rejected(_total)?\{policy="p"[^}]*\} 3/);
    await t.shutdown();
  });

  it('gives no-op instruments and a 404 handler when metrics are off', async () => {
    const t = createTelemetry({ serviceName: 'test', metrics: false });
    t.meter.createCounter('x').add(1);
    const { status } = await scrape(t.metricsHandler);
    expect(status).toBe(404);
    expect(t.tracer.startSpan('s').isRecording()).toBe(false);
    await t.shutdown();
  });

  it('records spans only when an exporter is configured', async () => {
    const exporter = new InMemorySpanExporter();
    const t = createTelemetry({ serviceName: 'test', traceExporter: exporter });
    const span = t.tracer.startSpan('work');
    expect(span.isRecording()).toBe(true);
    span.end();
    await t.flush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['work']);
    await t.shutdown();
  });
});

describe('trace context', () => {
  it('continues a caller trace and hands the upstream a traceparent of the new span', async () => {
    const exporter = new InMemorySpanExporter();
    const t = createTelemetry({ serviceName: 'test', traceExporter: exporter });
    const caller = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const server = startServerSpan(
      t.tracer,
      'req',
      { traceparent: caller },
      { 'http.request.method': 'GET' },
    );
    const client = startClientSpan(t.tracer, 'upstream', server, {});
    const header = traceparentOf(client);
    expect(header).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    client.end();
    server.end();
    await t.flush();
    const spans = exporter.getFinishedSpans();
    expect(spans.find((s) => s.name === 'req')?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(spans.find((s) => s.name === 'upstream')?.parentSpanContext?.spanId).toBe(
      server.spanContext().spanId,
    );
    await t.shutdown();
  });

  it('reads the OTLP endpoint and sampling ratio from the environment', () => {
    expect(tracingFromEnv({})).toEqual({});
    const traced = tracingFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(traced.traceSampleRatio).toBe(0.25);
    expect(traced.traceExporter).toBeDefined();
  });
});
