import { createServer } from 'node:http';
import type { Server } from 'node:http';

/** Upper bound on the request body the echo upstream reads back, so it cannot be used to eat memory. */
const MAX_ECHO_BODY = 64 * 1024;

/**
 * The demo upstream of `pnpm start`: answers every request with what it received as JSON, so
 * a newcomer sees exactly what the gateway forwarded (rewritten path, added headers).
 */
export async function startEchoUpstream(host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ECHO_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      const body = JSON.stringify(
        {
          upstream: 'hubpo-demo-echo',
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          truncated: size > MAX_ECHO_BODY,
        },
        null,
        2,
      );
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
