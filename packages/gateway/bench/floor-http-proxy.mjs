// Floor: a bare pass-through on http-proxy (node-http-proxy) with a keep-alive agent.
//   node packages/gateway/bench/floor-http-proxy.mjs            measures it (prints req/s, latency)
//   node packages/gateway/bench/floor-http-proxy.mjs --serve --port P --upstream URL
import { Agent, createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import httpProxy from 'http-proxy';
import { benchOptions, measure } from './bench-kit.mjs';

const options = benchOptions();
if (options.serve) {
  process.once('SIGTERM', () => process.exit(0));
  const proxy = httpProxy.createProxyServer({
    target: options.upstream,
    agent: new Agent({ keepAlive: true, maxSockets: Infinity }),
  });
  proxy.on('error', (_err, _req, res) => res.writeHead?.(502).end());
  createServer((req, res) => proxy.web(req, res)).listen(Number(options.port), '127.0.0.1');
} else {
  await measure([{ name: 'floor: http-proxy', file: fileURLToPath(import.meta.url) }], options);
}
