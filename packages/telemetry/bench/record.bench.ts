/*
 * Micro-benchmark of metric recording on the gateway's hot path: the OpenTelemetry SDK's
 * `Histogram.record` / `Counter.add` (`Telemetry.meter`, which hashes the attribute set on every
 * call: before) against `Telemetry.hotMeter` (frozen sets resolved by identity: after) and its
 * bound series, plus the recordings of one AI call as `AIMetrics.record` makes them.
 *
 *   node --conditions=hubpo-source --import tsx packages/telemetry/bench/record.bench.ts
 *
 * BENCH_OPS (operations per round, default 1,000,000) and BENCH_ROUNDS (default 7) change the
 * size; BENCH_CASE=<index> runs one case. Attribute sets have 5-6 keys (the AI path's: operation, provider, model, provider model,
 * target, token type), 8 of them, cached and frozen as the gateway caches them; values come from a
 * fixed table. Prints ns per operation (median and best round) and checks that each case's
 * Prometheus export holds every operation.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Attributes } from '@opentelemetry/api';
import { MetricNames, createTelemetry } from '@hubpo/telemetry';
import type { Telemetry } from '@hubpo/telemetry';

const OPS = Number(process.env['BENCH_OPS'] ?? 1_000_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const SETS = 8;

interface TargetSets {
  readonly base: Attributes;
  readonly input: Attributes;
  readonly output: Attributes;
}

const targets: TargetSets[] = Array.from({ length: SETS }, (_, i) => {
  const base = Object.freeze({
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': `provider-${i % 3}`,
    'gen_ai.request.model': `model-${i}`,
    'gen_ai.response.model': `provider-model-${i}`,
    'hubpo.target': `target-${i}`,
  });
  return {
    base,
    input: Object.freeze({ ...base, 'gen_ai.token.type': 'input' }),
    output: Object.freeze({ ...base, 'gen_ai.token.type': 'output' }),
  };
});
const sets: Attributes[] = targets.map((t, i) => (i % 2 === 0 ? t.input : t.base));
// Durations from 0.1 ms to about 2 s, spread over the latency buckets.
const values = Float64Array.from({ length: 1024 }, (_, i) => 0.0001 * Math.pow(1.009, i));

type Meter = Telemetry['meter'] | Telemetry['hotMeter'];
type Kind = 'sdk' | 'hot';

interface Case {
  readonly name: string;
  readonly telemetry: Telemetry;
  /** Runs OPS operations. */
  run(): void;
  /** The metric whose exported total (histogram `_count`s or counter values) must equal the operations run. */
  readonly check: string | null;
}

const meterOf = (telemetry: Telemetry, kind: Kind): Meter =>
  kind === 'sdk' ? telemetry.meter : telemetry.hotMeter;

function histogramCase(name: string, kind: Kind | 'bound'): Case {
  const telemetry = createTelemetry({ serviceName: 'bench' });
  const check = MetricNames.httpServerRequestDuration;
  const h = meterOf(telemetry, kind === 'bound' ? 'hot' : kind).createHistogram(check, { unit: 's' });
  if (kind === 'bound') {
    const bound = sets.map((attrs) => telemetry.hotMeter.createHistogram(check).bind(attrs));
    const run = (): void => {
      for (let i = 0; i < OPS; i++) bound[i & (SETS - 1)]!.record(values[i & 1023]!);
    };
    return { name, telemetry, check, run };
  }
  const run = (): void => {
    for (let i = 0; i < OPS; i++) h.record(values[i & 1023]!, sets[i & (SETS - 1)]);
  };
  return { name, telemetry, check, run };
}

function counterCase(name: string, kind: Kind): Case {
  const telemetry = createTelemetry({ serviceName: 'bench' });
  const check = MetricNames.upstreamRetries;
  const c = meterOf(telemetry, kind).createCounter(check);
  const run = (): void => {
    for (let i = 0; i < OPS; i++) c.add(1, sets[i & (SETS - 1)]);
  };
  return { name, telemetry, check, run };
}

/** One AI call's recordings (`AIMetrics.record` of a priced stream): 4 histogram values, 1 counter add. */
function aiCallCase(name: string, kind: Kind): Case {
  const telemetry = createTelemetry({ serviceName: 'bench' });
  const meter = meterOf(telemetry, kind);
  const tokens = meter.createHistogram(MetricNames.genAiTokenUsage, {
    unit: '{token}',
    advice: { explicitBucketBoundaries: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144] },
  });
  const duration = meter.createHistogram(MetricNames.genAiOperationDuration, { unit: 's' });
  const ttft = meter.createHistogram(MetricNames.genAiTimeToFirstToken, { unit: 's' });
  const cost = meter.createCounter(MetricNames.genAiCost, { unit: 'USD' });
  const run = (): void => {
    for (let i = 0; i < OPS; i++) {
      const t = targets[i & (SETS - 1)]!;
      const v = values[i & 1023]!;
      duration.record(v, t.base);
      tokens.record(i & 4095, t.input);
      tokens.record(i & 511, t.output);
      ttft.record(v / 10, t.base);
      cost.add(v / 1000, t.base);
    }
  };
  return { name, telemetry, check: MetricNames.genAiOperationDuration, run };
}

function disabledCase(name: string): Case {
  const telemetry = createTelemetry({ serviceName: 'bench', metrics: false });
  const h = telemetry.hotMeter.createHistogram(MetricNames.httpServerRequestDuration);
  const run = (): void => {
    for (let i = 0; i < OPS; i++) h.record(values[i & 1023]!, sets[i & (SETS - 1)]);
  };
  return { name, telemetry, check: null, run };
}

/** Total of `metric` in the Prometheus text: histogram `_count`s or counter values. */
async function exported(telemetry: Telemetry, metric: string): Promise<number> {
  const server = createServer((req, res) => telemetry.metricsHandler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const prefix = metric.replace(/\./g, '_');
    let total = 0;
    for (const line of body.split('\n')) {
      const isCount = line.startsWith(`${prefix}_count{`) || line.startsWith(`${prefix}_total{`);
      if (isCount) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  } finally {
    server.close();
  }
}

async function measure(c: Case): Promise<void> {
  c.run(); // warm-up round (optimization); counted in the export check
  const ns: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    c.run();
    ns.push(((performance.now() - start) * 1e6) / OPS);
  }
  ns.sort((a, b) => a - b);
  if (c.check !== null) {
    const total = await exported(c.telemetry, c.check);
    if (total !== OPS * (ROUNDS + 1))
      throw new Error(`${c.name}: exported ${total}, ran ${OPS * (ROUNDS + 1)}`);
  }
  const median = ns[ns.length >> 1]!.toFixed(1).padStart(8);
  console.log(`${c.name.padEnd(58)} median ${median} ns   best ${ns[0]!.toFixed(1).padStart(8)} ns`);
  await c.telemetry.shutdown();
}

const cases = [
  () => histogramCase('histogram.record   SDK meter (before)', 'sdk'),
  () => histogramCase('histogram.record   hotMeter, frozen set (after)', 'hot'),
  () => histogramCase('histogram.record   hotMeter, bound series', 'bound'),
  () => counterCase('counter.add        SDK meter (before)', 'sdk'),
  () => counterCase('counter.add        hotMeter, frozen set (after)', 'hot'),
  () => aiCallCase('one AI call (5 recordings)  SDK meter (before)', 'sdk'),
  () => aiCallCase('one AI call (5 recordings)  hotMeter (after)', 'hot'),
  () => disabledCase('histogram.record   metrics off (no-op)'),
];

// Each case runs in its own process, so that no case's JIT feedback (the SDK's instrument
// classes at a shared call site) slows another down.
const only = process.env['BENCH_CASE'];
if (only !== undefined) {
  await measure(cases[Number(only)]!());
} else {
  console.log(`node ${process.version}; ${OPS.toLocaleString('en')} operations per round, ${ROUNDS} rounds`);
  for (let i = 0; i < cases.length; i++) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_CASE: String(i) },
      stdio: 'inherit',
    });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
}
