import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Readiness {
  readonly ready: boolean;
  readonly status: string;
  readonly reasons: readonly string[];
}

/**
 * `GET /healthz` (the process serves) and `GET /readyz` (200 when ready, 503 with reasons), on
 * plain node:http. Nothing else is served.
 */
export class HealthServer {
  readonly #address: string;
  readonly #readiness: () => Readiness;
  #server: Server | undefined;
  #url = '';

  constructor(address: string, readiness: () => Readiness) {
    this.#address = address;
    this.#readiness = readiness;
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(this.#address);
    const host = (match?.[1] ?? '0.0.0.0').replace(/^\[|\]$/g, '');
    const port = Number(match?.[2] ?? 9092);
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') send(405, { status: 'method not allowed' });
      else if (path === '/healthz') send(200, { status: 'ok' });
      else if (path === '/readyz') {
        const r = this.#readiness();
        send(r.ready ? 200 : 503, r.ready ? { status: r.status } : { status: r.status, reasons: r.reasons });
      } else send(404, { status: 'not found' });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    const bound = server.address() as AddressInfo;
    this.#url = `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
