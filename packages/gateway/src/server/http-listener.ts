import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ListenAddress } from '../gateway-config.js';

const IDLE_SWEEP_MS = 100;

/**
 * Lifecycle of one `node:http` server: listen, then a graceful close that stops accepting,
 * lets in-flight requests (and upgraded sockets) finish until a deadline, and cuts whatever is
 * left after it. While draining, responses carry `connection: close` (set by the request handler,
 * which reads `draining`), so keep-alive clients move to another gateway.
 */
export class HttpListener {
  readonly server: Server;
  readonly #sockets = new Set<Socket>();
  #draining = false;
  #closing: Promise<void> | undefined;

  constructor(server: Server) {
    this.server = server;
    // Every accepted socket, upgraded ones included (server.closeAllConnections skips those).
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Binds and resolves with a URL that reaches the listener (loopback for wildcard binds). */
  listen(address: ListenAddress): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: address.host, port: address.port }, () => {
        this.server.off('error', onError);
        const bound = this.server.address();
        if (bound === null || typeof bound === 'string') {
          reject(new Error(`unexpected listen address ${String(bound)}`));
          return;
        }
        resolve(`http://${urlHost(bound.address)}:${bound.port}`);
      });
    });
  }

  /** Graceful close; idempotent (later calls share the first one's deadline). */
  close(deadlineMs: number): Promise<void> {
    this.#closing ??= this.#close(deadlineMs);
    return this.#closing;
  }

  async #close(deadlineMs: number): Promise<void> {
    this.#draining = true;
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const sweep = setInterval(() => this.server.closeIdleConnections(), IDLE_SWEEP_MS);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
    });
    try {
      if ((await Promise.race([closed, deadline])) === 'deadline') {
        this.server.closeAllConnections();
        for (const socket of this.#sockets) socket.destroy();
        await closed;
      }
    } finally {
      clearInterval(sweep);
      clearTimeout(timer);
    }
  }
}

function urlHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
