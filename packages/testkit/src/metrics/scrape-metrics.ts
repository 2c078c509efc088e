import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Anything that answers a Prometheus scrape (`Telemetry` of `@hubpo/telemetry`). */
export interface MetricsEndpoint {
  metricsHandler(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * The lines a Prometheus scrape of `endpoint` returns, over real HTTP (a listener on a free
 * loopback port for the one request).
 */
export async function scrapeMetrics(endpoint: MetricsEndpoint): Promise<string[]> {
  const server = createServer((req, res) => endpoint.metricsHandler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).split('\n');
  } finally {
    server.close();
  }
}
