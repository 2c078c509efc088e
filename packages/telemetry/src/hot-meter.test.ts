import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { MetricData, MetricReaderOptions } from '@opentelemetry/sdk-metrics';
import { HubpoError } from '@hubpo/core';
import { AggregatingMeter } from './hot-meter.js';
import { LATENCY_BUCKETS_S, MetricNames } from './metric-names.js';
import { SeriesTable } from './series-table.js';
import { createTelemetry } from './telemetry.js';
import type { Telemetry } from './telemetry.js';

async function scrape(telemetry: Telemetry): Promise<string> {
  const server = createServer((req, res) => telemetry.metricsHandler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    return await res.text();
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/** The lines of `text` for one metric family (its HELP, UNIT, TYPE and samples). */
function family(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}_`) || l.startsWith(`${name}{`) || l.includes(` ${name} `));
}

const target = (name: string): Attributes =>
  Object.freeze({ 'gen_ai.request.model': 'chat', 'hubpo.target': name });

describe('Telemetry.hotMeter', () => {
  it('exports histogram counts, sums and cumulative buckets per attribute set, error set included', async () => {
    const t = createTelemetry({ serviceName: 'hot' });
    const a = target('a');
    const b = target('b');
    const aFailed = Object.freeze({ ...a, 'error.type': 'HUBPO_ERR_PROVIDER' });
    const h = t.hotMeter.createHistogram(MetricNames.genAiOperationDuration, {
      description: 'Duration of AI calls.',
      unit: 's',
    });
    h.record(0.0004, a); // le 0.0005
    h.record(0.002, a); // le 0.0025
    h.record(0.0025, a); // le 0.0025: upper bounds are inclusive
    h.bind(b).record(0.3); // le 0.5
    h.record(75, aFailed); // above every boundary: +Inf only
    h.record(-1, a); // dropped, as the SDK drops negative values
    h.record(NaN, a); // dropped

    const lines = family(await scrape(t), 'gen_ai_client_operation_duration');
    const scope = 'otel_scope_name="hot"';
    const aLabels = `gen_ai_request_model="chat",hubpo_target="a",${scope}`;
    expect(lines.slice(0, 3)).toEqual([
      '# HELP gen_ai_client_operation_duration Duration of AI calls.',
      '# UNIT gen_ai_client_operation_duration s',
      '# TYPE gen_ai_client_operation_duration histogram',
    ]);
    expect(lines).toContain(`gen_ai_client_operation_duration_count{${aLabels}} 3`);
    expect(lines).toContain(`gen_ai_client_operation_duration_sum{${aLabels}} ${0.0004 + 0.002 + 0.0025}`);
    expect(lines).toContain(`gen_ai_client_operation_duration_bucket{${aLabels},le="0.0005"} 1`);
    expect(lines).toContain(`gen_ai_client_operation_duration_bucket{${aLabels},le="0.001"} 1`);
    expect(lines).toContain(`gen_ai_client_operation_duration_bucket{${aLabels},le="0.0025"} 3`);
    expect(lines).toContain(`gen_ai_client_operation_duration_bucket{${aLabels},le="+Inf"} 3`);
    const bLabels = `gen_ai_request_model="chat",hubpo_target="b",${scope}`;
    expect(lines).toContain(`gen_ai_client_operation_duration_count{${bLabels}} 1`);
    expect(lines).toContain(`gen_ai_client_operation_duration_bucket{${bLabels},le="0.25"} 0`);
    expect(lines).toContain(`gen_ai_client_operation_duration_bucket{${bLabels},le="0.5"} 1`);
    const failed = `gen_ai_request_model="chat",hubpo_target="a",error_type="HUBPO_ERR_PROVIDER",${scope}`;
    expect(lines).toContain(`gen_ai_client_operation_duration_count{${failed}} 1`);
    expect(lines).toContain(`gen_ai_client_operation_duration_sum{${failed}} 75`);
    expect(lines).toContain(`gen_ai_client_operation_duration_bucket{${failed},le="60"} 0`);
    expect(lines).toContain(`gen_ai_client_operation_duration_bucket{${failed},le="+Inf"} 1`);
    // Latency buckets (0.5 ms .. 60 s) plus +Inf, for each of the three series.
    expect(lines.filter((l) => l.includes('_bucket{'))).toHaveLength(3 * (LATENCY_BUCKETS_S.length + 1));
    await t.shutdown();
  });

  it('exports counters as monotonic sums and keeps counting across scrapes (cumulative)', async () => {
    const t = createTelemetry({ serviceName: 'hot' });
    const c = t.hotMeter.createCounter(MetricNames.genAiCost, { description: 'Cost, USD.', unit: 'USD' });
    c.add(0.25, target('a'));
    c.add(0.5, target('a')); // a new object with the same content: the same series
    c.bind(target('b')).add(0);
    const first = family(await scrape(t), 'hubpo_gen_ai_cost_total');
    expect(first).toEqual([
      '# HELP hubpo_gen_ai_cost_total Cost, USD.',
      '# UNIT hubpo_gen_ai_cost_total USD',
      '# TYPE hubpo_gen_ai_cost_total counter',
      'hubpo_gen_ai_cost_total{gen_ai_request_model="chat",hubpo_target="a",otel_scope_name="hot"} 0.75',
      'hubpo_gen_ai_cost_total{gen_ai_request_model="chat",hubpo_target="b",otel_scope_name="hot"} 0',
    ]);
    c.add(1, target('b'));
    const second = family(await scrape(t), 'hubpo_gen_ai_cost_total');
    expect(second).toContain(
      'hubpo_gen_ai_cost_total{gen_ai_request_model="chat",hubpo_target="a",otel_scope_name="hot"} 0.75',
    );
    expect(second).toContain(
      'hubpo_gen_ai_cost_total{gen_ai_request_model="chat",hubpo_target="b",otel_scope_name="hot"} 1',
    );
    await t.shutdown();
  });

  it('serves the same Prometheus text as the SDK meter for the same recordings', async () => {
    // Each telemetry gets the same recordings, one through the SDK, one through the hot meter.
    const sdk = createTelemetry({ serviceName: 'parity' });
    const hot = createTelemetry({ serviceName: 'parity' });
    for (const meter of [sdk.meter, hot.hotMeter]) {
      const base = Object.freeze({ 'gen_ai.operation.name': 'chat', 'hubpo.target': 't' });
      const input = Object.freeze({ ...base, 'gen_ai.token.type': 'input' });
      const output = Object.freeze({ ...base, 'gen_ai.token.type': 'output' });
      const failed = Object.freeze({ ...base, 'error.type': 'client_closed' });
      const tokens = meter.createHistogram(MetricNames.genAiTokenUsage, {
        description: 'Tokens.',
        unit: '{token}',
        advice: { explicitBucketBoundaries: [1, 4, 16, 64, 256, 1024, 4096] },
      });
      const duration = meter.createHistogram(MetricNames.genAiOperationDuration, { unit: 's' });
      const plain = meter.createHistogram('hubpo.test.default_buckets'); // the SDK's default buckets
      const cost = meter.createCounter(MetricNames.genAiCost, { unit: 'USD' });
      const unpriced = meter.createCounter(MetricNames.genAiUnpriced);
      for (let i = 0; i < 50; i++) {
        tokens.record(i * 37, input);
        tokens.record(i * 1000, output);
        duration.record(i / 40, i % 7 === 0 ? failed : base);
        plain.record(i * 300, { 'hubpo.route': `r${i % 3}` }); // fresh objects: hashed by content
        cost.add(i / 1000, base);
      }
      unpriced.add(1);
      unpriced.add(2, {});
    }
    const [sdkText, hotText] = await Promise.all([scrape(sdk), scrape(hot)]);
    expect(hotText).toContain(
      'hubpo_test_default_buckets_bucket{hubpo_route="r0",otel_scope_name="parity",le="10000"}',
    );
    expect(hotText).toBe(sdkText);
    await Promise.all([sdk.shutdown(), hot.shutdown()]);
  });

  it('gives shared no-op instruments when metrics are off', () => {
    const t = createTelemetry({ serviceName: 'off', metrics: false });
    const h = t.hotMeter.createHistogram(MetricNames.genAiOperationDuration);
    const c = t.hotMeter.createCounter(MetricNames.genAiCost);
    expect(t.hotMeter.createHistogram(MetricNames.httpServerRequestDuration)).toBe(h);
    expect(h.bind(target('a'))).toBe(h.bind(target('b')));
    expect(c.bind(target('a'))).toBe(c.bind(target('b')));
    expect(() => {
      h.record(1, target('a'));
      c.add(1, target('a'));
    }).not.toThrow();
  });
});

/** A pull reader for tests: `collect()` gives what an exporter would get. */
class TestReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options);
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** MetricData without its timestamps (they differ between two collections). */
function untimed(metric: MetricData | undefined): unknown {
  if (metric === undefined) return undefined;
  const { descriptor } = metric;
  return {
    ...metric,
    descriptor: { name: descriptor.name, description: descriptor.description, unit: descriptor.unit },
    dataPoints: metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
  };
}

describe('AggregatingMeter as a MetricProducer', () => {
  const resource = resourceFromAttributes({ 'service.name': 'producer-test' });
  const boundaries = [0.01, 0.1, 1];

  it('hands a reader the MetricData the SDK gives: min, max, sum, counts, boundaries, attributes, order', async () => {
    const hot = new AggregatingMeter({
      scope: { name: 'p', version: '' },
      resource,
      histogramBoundaries: new Map([['latency', boundaries]]),
    });
    const reader = new TestReader({ metricProducers: [hot] });
    const provider = new MeterProvider({
      resource,
      readers: [reader],
      views: [
        {
          instrumentName: 'latency',
          aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries } },
        },
      ],
    });
    const meter = provider.getMeter('p');
    const ok = Object.freeze({ outcome: 'ok' });
    const failed = Object.freeze({ outcome: 'failed', 'error.type': 'timeout' });
    for (const m of [meter, hot]) {
      const latency = m.createHistogram('latency', { unit: 's' });
      const requests = m.createCounter('requests');
      for (const v of [0.5, 0.005, 0.1, 3, 0.02]) latency.record(v, ok);
      latency.record(9, failed);
      requests.add(2, ok);
      requests.add(1, failed);
      requests.add(4, ok);
    }
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const [sdkScope, hotScope] = resourceMetrics.scopeMetrics;
    expect(hotScope?.scope).toEqual(sdkScope?.scope);
    expect(hotScope?.metrics.map(untimed)).toEqual(sdkScope?.metrics.map(untimed));
    const latency = hotScope?.metrics[0];
    expect(latency?.dataPointType).toBe(DataPointType.HISTOGRAM);
    const sum = [0.5, 0.005, 0.1, 3, 0.02].reduce((s, v) => s + v, 0);
    expect(latency?.dataPoints[0]).toMatchObject({
      attributes: ok,
      value: { count: 5, sum, min: 0.005, max: 3, buckets: { boundaries, counts: [1, 2, 1, 1] } },
    });
    await provider.shutdown();
  });

  it('returns the instrument of a name created before, and refuses a name of another kind', () => {
    const hot = new AggregatingMeter({ scope: { name: 'p' }, resource });
    const h = hot.createHistogram('x');
    expect(hot.createHistogram('x', { description: 'again' })).toBe(h);
    expect(() => hot.createCounter('x')).toThrow(HubpoError);
  });

  it('exports nothing until something is recorded', async () => {
    const hot = new AggregatingMeter({ scope: { name: 'p' }, resource });
    hot.createHistogram('x').bind({ a: '1' });
    hot.createCounter('y');
    const { resourceMetrics } = await hot.collect();
    expect(resourceMetrics.scopeMetrics).toEqual([]);
  });
});

describe('SeriesTable', () => {
  it('resolves a frozen set by identity and a plain object by content on every call', () => {
    const table = new SeriesTable((attributes) => ({ attributes }));
    const frozen = Object.freeze({ k: 'v' });
    const first = table.get(frozen);
    expect(table.get(frozen)).toBe(first);
    expect(table.get({ k: 'v' })).toBe(first);
    const mutable: Record<string, string> = { k: 'w' };
    const w = table.get(mutable);
    expect(w.attributes).toEqual({ k: 'w' });
    expect(Object.isFrozen(w.attributes)).toBe(true); // a copy, not the caller's object
    mutable['k'] = 'v';
    expect(table.get(mutable)).toBe(first);
    expect(table.get(undefined)).toBe(table.get({}));
  });

  it('sends the sets past the cardinality limit to one overflow series, as the SDK does', () => {
    const table = new SeriesTable((attributes) => ({ attributes }), 3);
    const a = table.get(Object.freeze({ n: 1 }));
    const b = table.get({ n: 2 });
    const c = table.get(Object.freeze({ n: 3 }));
    const d = table.get({ n: 4 });
    expect(c).toBe(d);
    expect(c.attributes).toEqual({ 'otel.metric.overflow': true });
    expect(table.get({ n: 1 })).toBe(a);
    expect(table.series).toEqual([a, b, c]);
  });
});
