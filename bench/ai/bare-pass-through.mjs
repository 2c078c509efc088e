// The floor of scenario (d): a bare ten-line Node pass-through (no parsing, keep-alive upstream).
//   node bare-pass-through.mjs <port> <upstream base URL>
import http from 'node:http';
const [, , port, target] = process.argv;
const { hostname, port: upstreamPort } = new URL(target);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
http
  .createServer((req, res) => {
    const options = {
      hostname,
      port: upstreamPort,
      path: req.url,
      method: req.method,
      headers: req.headers,
      agent,
    };
    const up = http.request(options, (r) => (res.writeHead(r.statusCode, r.headers), r.pipe(res)));
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  })
  .listen(Number(port), '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
