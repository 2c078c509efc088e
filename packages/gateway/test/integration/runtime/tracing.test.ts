import { createTelemetry } from '@hubpo/telemetry';
import type { Telemetry, TelemetryOptions } from '@hubpo/telemetry';
import { exact, prefix, proxyRule, route } from '../../../src/runtime/testdata/config-factories.js';
import { refusedUrl, startGateway, startUpstream } from './runtime-harness.js';
import type { TestGateway, TestUpstream } from './runtime-harness.js';

type Exporter = NonNullable<TelemetryOptions['traceExporter']>;
type FinishedSpan = Parameters<Exporter['export']>[0][number];

/** An in-memory span exporter: every exported span, in order. */
function memoryExporter(): { readonly exporter: Exporter; readonly spans: FinishedSpan[] } {
  const spans: FinishedSpan[] = [];
  return {
    spans,
    exporter: {
      export(batch, done) {
        spans.push(...batch);
        done({ code: 0 });
      },
      shutdown: () => Promise.resolve(),
    },
  };
}

const SPAN_KIND_SERVER = 1;
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

function parentOf(span: FinishedSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

describe('runtime: request spans on proxy routes', () => {
  let upstream: TestUpstream;
  let down: string;
  /** `traceparent` headers the upstream received, per request path, in order. */
  const seen: { path: string; traceparents: string[] }[] = [];
  let flaky = 0;

  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      const traceparent = req.headers['traceparent'];
      seen.push({
        path: req.url ?? '',
        traceparents: traceparent === undefined ? [] : [traceparent].flat(),
      });
      req.resume();
      // /flaky answers 503 every other time: the first attempt fails, the retry succeeds.
      const status = req.url === '/flaky' && flaky++ % 2 === 0 ? 503 : 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    down = await refusedUrl();
  });

  afterAll(async () => {
    await upstream.close();
  });

  beforeEach(() => {
    seen.length = 0;
    flaky = 0;
  });

  const routes = (): Parameters<typeof startGateway>[0] => [
    route('ns/api', [
      proxyRule([upstream.url], { matches: [prefix('/api')] }),
      proxyRule([upstream.url], {
        name: 'flaky',
        matches: [exact('/flaky')],
        retry: { attempts: 1, backoffMs: 1, codes: [503] },
      }),
    ]),
    route('ns/down', [proxyRule([down], { matches: [prefix('/down')] })]),
  ];

  describe('with tracing on', () => {
    let memory: ReturnType<typeof memoryExporter>;
    let telemetry: Telemetry;
    let gateway: TestGateway;

    beforeEach(async () => {
      memory = memoryExporter();
      telemetry = createTelemetry({
        serviceName: 'tracing-test',
        metrics: false,
        traceExporter: memory.exporter,
      });
      gateway = await startGateway(routes(), { telemetry });
    });

    afterEach(async () => {
      await gateway.close();
      await telemetry.shutdown();
    });

    const spans = async (): Promise<FinishedSpan[]> => {
      await telemetry.flush();
      return memory.spans;
    };

    it('records a SERVER span under the caller trace and a CLIENT span whose traceparent the upstream receives', async () => {
      const response = await fetch(`${gateway.url}/api/items?token=secret`, {
        headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, 'user-agent': 'tracing-test/1' },
      });
      expect(response.status).toBe(200);
      await response.text();

      const all = await spans();
      const server = all.find((s) => s.kind === SPAN_KIND_SERVER)!;
      const client = all.find((s) => s.kind === SPAN_KIND_CLIENT)!;
      expect(all).toHaveLength(2);
      expect(server.name).toBe('GET ns/api');
      expect(server.spanContext().traceId).toBe(CALLER_TRACE);
      expect(parentOf(server)).toBe(CALLER_SPAN);
      expect(server.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.path': '/api/items',
        'url.scheme': 'http',
        'http.route': 'ns/api',
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
        'network.peer.address': '127.0.0.1',
        'user_agent.original': 'tracing-test/1',
      });
      expect(server.attributes['network.peer.port']).toEqual(expect.any(Number));
      expect(server.attributes['error.type']).toBeUndefined();

      expect(client.name).toBe('GET');
      expect(client.spanContext().traceId).toBe(CALLER_TRACE);
      expect(parentOf(client)).toBe(server.spanContext().spanId);
      expect(client.attributes).toMatchObject({
        'http.request.method': 'GET',
        'server.address': '127.0.0.1',
        'server.port': upstream.port,
        'url.full': `${upstream.url}/api/items`,
        'http.response.status_code': 200,
      });
      // The query string (which may hold credentials) is recorded nowhere.
      expect(JSON.stringify(all.map((s) => s.attributes))).not.toContain('secret');

      // The upstream got one traceparent: the CLIENT span's, replacing the caller's.
      expect(seen).toHaveLength(1);
      expect(seen[0]!.traceparents).toEqual([`00-${CALLER_TRACE}-${client.spanContext().spanId}-01`]);
    });

    it('starts a new trace without a traceparent and gives every retry its own CLIENT span', async () => {
      const response = await fetch(`${gateway.url}/flaky`);
      expect(response.status).toBe(200);
      await response.text();

      const all = await spans();
      const server = all.find((s) => s.kind === SPAN_KIND_SERVER)!;
      const attempts = all.filter((s) => s.kind === SPAN_KIND_CLIENT);
      expect(parentOf(server)).toBeUndefined();
      expect(attempts).toHaveLength(2);
      expect(attempts.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 200]);
      expect(attempts[0]!.attributes['error.type']).toBe('503');
      expect(attempts[0]!.status.code).toBe(STATUS_ERROR);
      expect(attempts[1]!.attributes['http.request.resend_count']).toBe(1);
      for (const attempt of attempts) expect(parentOf(attempt)).toBe(server.spanContext().spanId);

      const sent = seen.map((s) => s.traceparents[0] ?? '');
      expect(sent).toEqual(
        attempts.map((a) => `00-${server.spanContext().traceId}-${a.spanContext().spanId}-01`),
      );
      expect(sent.every((value) => TRACEPARENT.test(value))).toBe(true);
    });

    it('records the gateway error code on requests it answers itself', async () => {
      const notFound = await fetch(`${gateway.url}/nowhere`);
      expect(notFound.status).toBe(404);
      const unreachable = await fetch(`${gateway.url}/down/x`);
      expect(unreachable.status).toBe(502);

      const all = await spans();
      const unmatched = all.find((s) => s.attributes['url.path'] === '/nowhere')!;
      expect(unmatched.name).toBe('GET');
      expect(unmatched.attributes).toMatchObject({
        'http.response.status_code': 404,
        'error.type': 'HUBPO_ERR_ROUTE_NOT_FOUND',
      });
      expect(unmatched.attributes['http.route']).toBeUndefined();
      expect(unmatched.status.code).not.toBe(STATUS_ERROR); // 4xx are the client's, not the server's

      const failed = all.find(
        (s) => s.kind === SPAN_KIND_SERVER && s.attributes['http.route'] === 'ns/down',
      )!;
      expect(failed.attributes).toMatchObject({
        'http.response.status_code': 502,
        'error.type': 'HUBPO_ERR_UPSTREAM_CONNECT',
      });
      expect(failed.status.code).toBe(STATUS_ERROR);
      const attempt = all.find(
        (s) => s.kind === SPAN_KIND_CLIENT && parentOf(s) === failed.spanContext().spanId,
      );
      expect(attempt?.attributes['error.type']).toBe('connect');
    });
  });

  it('with tracing off, records nothing and passes the caller traceparent through unchanged', async () => {
    // Metrics on, no trace exporter: the gateway's default without OTEL_EXPORTER_OTLP_*.
    const telemetry = createTelemetry({ serviceName: 'tracing-off-test' });
    const gateway = await startGateway(routes(), { telemetry });
    try {
      const caller = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;
      const response = await fetch(`${gateway.url}/api/x`, { headers: { traceparent: caller } });
      expect(response.status).toBe(200);
      await response.text();
      expect(seen.map((s) => s.traceparents)).toEqual([[caller]]);
      expect(gateway.state.tracer).toBeNull();
    } finally {
      await gateway.close();
      await telemetry.shutdown();
    }
  });
});
