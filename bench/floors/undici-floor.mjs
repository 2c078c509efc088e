// Bare Node pass-through on an undici Pool: the floor of what Node + undici cost.
import http from 'node:http';
import { Pool } from 'undici';
const [, , port, target] = process.argv;
const pool = new Pool(target, { connections: 256, pipelining: 1 });
http
  .createServer((req, res) => {
    pool.request({ path: req.url, method: req.method, headers: req.headers, body: req }).then(
      ({ statusCode, headers, body }) => {
        res.writeHead(statusCode, headers);
        body.pipe(res);
      },
      () => res.writeHead(502).end(),
    );
  })
  .listen(Number(port), '127.0.0.1');
