// Bare Node pass-through on http-proxy: the floor of what Node + http-proxy cost.
import http from 'node:http';
import httpProxy from 'http-proxy';
const [, , port, target] = process.argv;
const proxy = httpProxy.createProxyServer({
  target,
  agent: new http.Agent({ keepAlive: true, maxSockets: 256 }),
});
proxy.on('error', (_e, _req, res) => res.writeHead?.(502).end());
http.createServer((req, res) => proxy.web(req, res)).listen(Number(port), '127.0.0.1');
