import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { HubpoError, errorMessage } from '@hubpo/core';
import type { Runner } from '@hubpo/core';
import { parseAddress } from '../control-plane-config.js';
import type { AdminTlsFiles } from '../control-plane-config.js';
import type { Logger } from '../logger.js';

/**
 * Serves the admin app on `host:port` (port 0: a free port, see `url`): HTTPS when `tls` is
 * given (the PEM files are read at each start), else plain HTTP, warned about unless on loopback.
 */
export class AdminServer implements Runner {
  readonly name = 'admin-api';
  readonly #app: Express;
  readonly #address: string;
  readonly #logger: Logger;
  readonly #tls: AdminTlsFiles | undefined;
  #server: Server | HttpsServer | undefined;
  #url = '';

  constructor(app: Express, address: string, logger: Logger, tls?: AdminTlsFiles) {
    this.#app = app;
    this.#address = address;
    this.#logger = logger;
    this.#tls = tls;
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    const { host, port } = parseAddress(this.#address);
    const server = this.#createServer(host);
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
    this.#url = `${this.#tls === undefined ? 'http' : 'https'}://${shownHost}:${bound.port}`;
    this.#logger.info({ url: this.#url, tls: this.#tls !== undefined }, 'admin API listening');
  }

  #createServer(host: string): Server | HttpsServer {
    const tls = this.#tls;
    if (tls === undefined) {
      if (!isLoopback(host)) {
        this.#logger.warn(
          { address: this.#address },
          'the admin and cluster API are plaintext on a non-loopback address: set HUBPO_ADMIN_TLS_CERT and HUBPO_ADMIN_TLS_KEY',
        );
      }
      return createServer(this.#app);
    }
    let cert: Buffer;
    let key: Buffer;
    try {
      cert = readFileSync(tls.certFile);
      key = readFileSync(tls.keyFile);
    } catch (err) {
      throw new HubpoError(
        'UNAVAILABLE',
        `cannot read the admin API TLS files (HUBPO_ADMIN_TLS_CERT, HUBPO_ADMIN_TLS_KEY): ${errorMessage(err)}`,
        { cause: err },
      );
    }
    return createHttpsServer({ cert, key, minVersion: 'TLSv1.2' }, this.#app);
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

/** Whether a bind host is loopback only (plaintext is fine there: local development). */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
