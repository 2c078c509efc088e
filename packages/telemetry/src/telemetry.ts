import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics, trace } from '@opentelemetry/api';
import type { Meter, Tracer } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { AggregatingMeter, NOOP_HOT_METER } from './hot-meter.js';
import type { HotMeter } from './hot-meter.js';
import { LATENCY_BUCKETS_S, MetricNames } from './metric-names.js';

export interface TelemetryOptions {
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** Resource attributes such as `hubpo.cluster`, `cloud.region`. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Metrics on by default; off gives a no-op meter. */
  readonly metrics?: boolean;
  /** Traces are recorded only when an exporter is given; otherwise the tracer is a no-op. */
  readonly traceExporter?: SpanExporter;
  /** Share of root traces sampled (0..1, default 1); a sampled caller's decision is kept. */
  readonly traceSampleRatio?: number;
}

/**
 * Tracing settings from the standard OpenTelemetry environment: an OTLP/HTTP exporter when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (the exporter reads
 * the rest of the OTEL_EXPORTER_OTLP_* variables itself), and `OTEL_TRACES_SAMPLER_ARG` as the ratio.
 */
export function tracingFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Pick<TelemetryOptions, 'traceExporter' | 'traceSampleRatio'> {
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (endpoint === undefined || endpoint === '') return {};
  const ratio = Number(env['OTEL_TRACES_SAMPLER_ARG'] ?? '1');
  return {
    traceExporter: new OTLPTraceExporter(),
    traceSampleRatio: Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1,
  };
}

/**
 * One process's OpenTelemetry setup. Nothing is registered globally, so several programs can
 * run in one test process. Instruments come from `meter`, or from `hotMeter` for counters and
 * histograms recorded per request; `metricsHandler` serves both in the Prometheus text format.
 * With metrics or tracing off, the no-op implementations cost (almost) nothing.
 */
export interface Telemetry {
  readonly meter: Meter;
  /**
   * Counters and histograms for hot paths: the same exported data as `meter`'s, at a few tens of
   * nanoseconds per recording with attribute sets cached frozen (the SDK hashes every set on every
   * call). Use one meter per metric name.
   */
  readonly hotMeter: HotMeter;
  readonly tracer: Tracer;
  readonly metricsEnabled: boolean;
  readonly tracingEnabled: boolean;
  metricsHandler(req: IncomingMessage, res: ServerResponse): void;
  /** Exports buffered spans now. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Histograms with the latency buckets, on either meter. */
const LATENCY_HISTOGRAMS = [
  MetricNames.httpServerRequestDuration,
  MetricNames.httpClientRequestDuration,
  MetricNames.genAiOperationDuration,
  MetricNames.genAiTimeToFirstToken,
];

const latencyView = (instrumentName: string): ViewOptions => ({
  instrumentName,
  aggregation: {
    type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
    options: { boundaries: [...LATENCY_BUCKETS_S] },
  },
});

export function createTelemetry(options: TelemetryOptions): Telemetry {
  const resource = resourceFromAttributes({
    'service.name': options.serviceName,
    ...(options.serviceVersion === undefined ? {} : { 'service.version': options.serviceVersion }),
    ...options.attributes,
  });
  const metricsEnabled = options.metrics ?? true;
  // The SDK meter's scope (`getMeter(serviceName)`): both meters export under one scope label.
  const hotMeter = metricsEnabled
    ? new AggregatingMeter({
        scope: { name: options.serviceName, version: '' },
        resource,
        histogramBoundaries: new Map(LATENCY_HISTOGRAMS.map((name) => [name, LATENCY_BUCKETS_S])),
      })
    : undefined;
  const exporter =
    hotMeter === undefined
      ? undefined
      : new PrometheusExporter({ preventServerStart: true, metricProducers: [hotMeter] });
  const meterProvider =
    exporter === undefined
      ? undefined
      : new MeterProvider({ resource, readers: [exporter], views: LATENCY_HISTOGRAMS.map(latencyView) });
  const tracerProvider =
    options.traceExporter === undefined
      ? undefined
      : new BasicTracerProvider({
          resource,
          sampler: new ParentBasedSampler({
            root: new TraceIdRatioBasedSampler(options.traceSampleRatio ?? 1),
          }),
          spanProcessors: [new BatchSpanProcessor(options.traceExporter)],
        });
  const meter = meterProvider?.getMeter(options.serviceName) ?? metrics.getMeterProvider().getMeter('noop');
  const tracer =
    tracerProvider?.getTracer(options.serviceName) ?? trace.getTracerProvider().getTracer('noop');

  return {
    meter,
    hotMeter: hotMeter ?? NOOP_HOT_METER,
    tracer,
    metricsEnabled,
    tracingEnabled: tracerProvider !== undefined,
    metricsHandler(req, res) {
      if (exporter === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics disabled\n');
        return;
      }
      exporter.getMetricsRequestHandler(req, res);
    },
    async flush() {
      await tracerProvider?.forceFlush();
    },
    async shutdown() {
      await Promise.all([meterProvider?.shutdown(), tracerProvider?.shutdown()]);
    },
  };
}
