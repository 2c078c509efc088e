// The full gateway runtime (compiled from a snapshot-shaped config) behind a plain node:http
// server, as the gateway program serves it. Runs the build (`pnpm build`), or the source under `npx tsx`.
//   node packages/gateway/bench/gateway.mjs [--telemetry] [--policies] [--routes N]
//   node packages/gateway/bench/gateway.mjs --serve --port P --upstream URL [...]
// The benchmarked request (GET /bench/item?id=42) matches a PathPrefix rule among N routes
// (exact paths, prefixes and host-bound routes), is forwarded with hop-by-hop filtering,
// X-Forwarded-*, X-Request-Id and Via, and its response headers are rebuilt the same way.
// --policies adds an API-key policy (wrk sends the key) and a generous rate limit.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { BENCH_KEY, benchConfig } from './bench-config.mjs';
import { benchOptions, importRuntime, measure } from './bench-kit.mjs';

const options = benchOptions();
if (options.serve) {
  process.once('SIGTERM', () => process.exit(0));
  const { RuntimeState, compileRuntime } = await importRuntime('index');
  let telemetry;
  if (options.telemetry) {
    const { createTelemetry } = await import('@hubpo/telemetry');
    telemetry = createTelemetry({ serviceName: 'bench' });
  }
  const state = new RuntimeState(telemetry === undefined ? {} : { telemetry });
  const objects = benchConfig(options.upstream, {
    routes: Number(options.routes),
    policies: options.policies,
  });
  const runtime = compileRuntime({ revision: 1, objects }, state);
  const server = createServer({ keepAlive: true }, (req, res) => runtime.handle(req, res));
  server.on('upgrade', (req, socket, head) => runtime.handleUpgrade(req, socket, head));
  server.listen(Number(options.port), '127.0.0.1');
} else {
  const file = fileURLToPath(import.meta.url);
  const args = ['--routes', options.routes];
  if (options.telemetry) args.push('--telemetry');
  if (options.policies) args.push('--policies');
  const headers = options.policies ? [`x-api-key: ${BENCH_KEY}`] : [];
  await measure([{ name: `gateway runtime (${args.join(' ')})`, file, args, headers }], options);
}
