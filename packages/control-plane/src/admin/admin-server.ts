import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { HubpoError, errorMessage } from '@hubpo/core';
import type { Runner } from '@hubpo/core';
import { parseAddress } from '../control-plane-config.js';
import type { Logger } from '../logger.js';

/** Serves the admin app on `host:port` (port 0: a free port, see `url`). */
export class AdminServer implements Runner {
  readonly name = 'admin-api';
  readonly #app: Express;
  readonly #address: string;
  readonly #logger: Logger;
  #server: Server | undefined;
  #url = '';

  constructor(app: Express, address: string, logger: Logger) {
    this.#app = app;
    this.#address = address;
    this.#logger = logger;
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    const { host, port } = parseAddress(this.#address);
    const server = createServer(this.#app);
    // Bounded waits for slow clients; bodies are small (1 MiB at most).
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      throw new HubpoError(
        'UNAVAILABLE',
        `cannot listen for the admin API on ${this.#address}: ${errorMessage(err)}`,
        { cause: err },
      );
    });
    this.#server = server;
    const bound = server.address() as AddressInfo;
    const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    this.#url = `http://${shownHost}:${bound.port}`;
    this.#logger.info({ url: this.#url }, 'admin API listening');
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => server.closeAllConnections(), 2000);
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
  }
}
