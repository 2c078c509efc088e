// Floor: a bare pass-through on an undici Pool (`pool.stream`, undici's documented fast path
// for proxies: the response body is written straight into the ServerResponse).
//   node packages/gateway/bench/floor-undici.mjs               measures it (prints req/s, latency)
//   node packages/gateway/bench/floor-undici.mjs --serve --port P --upstream URL
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { benchOptions, measure } from './bench-kit.mjs';

const options = benchOptions();
if (options.serve) {
  process.once('SIGTERM', () => process.exit(0));
  const pool = new Pool(options.upstream);
  createServer((req, res) => {
    pool.stream(
      {
        path: req.url,
        method: req.method,
        headers: req.headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
        opaque: res,
      },
      ({ statusCode, headers, opaque }) => (opaque.writeHead(statusCode, headers), opaque),
      (err) => err && (res.headersSent ? res.destroy() : res.writeHead(502).end()),
    );
  }).listen(Number(options.port), '127.0.0.1');
} else {
  await measure([{ name: 'floor: undici Pool.stream', file: fileURLToPath(import.meta.url) }], options);
}
