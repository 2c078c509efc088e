// Floor variant: undici Pool.request + pipe (the most common way to write an undici proxy).
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { benchOptions, measure } from './bench-kit.mjs';

const options = benchOptions();
if (options.serve) {
  process.once('SIGTERM', () => process.exit(0));
  const pool = new Pool(options.upstream);
  createServer(async (req, res) => {
    try {
      const body = req.method === 'GET' || req.method === 'HEAD' ? null : req;
      const up = await pool.request({ path: req.url, method: req.method, headers: req.headers, body });
      res.writeHead(up.statusCode, up.headers);
      up.body.pipe(res);
    } catch {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    }
  }).listen(Number(options.port), '127.0.0.1');
} else {
  await measure([{ name: 'floor: undici Pool.request', file: fileURLToPath(import.meta.url) }], options);
}
