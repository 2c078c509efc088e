import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ListenAddress } from '../gateway-config.js';

const IDLE_SWEEP_MS = 100;

/**
 * Lifecycle of one `node:http` server: listen, then a graceful close that stops accepting,
 * lets in-flight requests (and upgraded sockets) finish until a deadline, and cuts whatever is
 * left after it. While draining, responses carry `connection: close` (set by the request handler,
 * which reads `draining`), so keep-alive clients move to another gateway.
 *
 * Idle connections are closed at once and then on every sweep (a connection becomes idle when
 * its last response ends). Node counts a connection that never sent a byte as busy (it waits for
 * request headers), so `closeIdleConnections` leaves it open and `server.close` would wait for the
 * deadline: HTTP clients keep such spare connections (an SDK after an aborted stream does). Those
 * are closed too once they stayed silent for one sweep.
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

  #closeIdle(silent: Set<Socket>): void {
    this.server.closeIdleConnections();
    closeSilent(this.#sockets, silent);
  }

  async #close(deadlineMs: number): Promise<void> {
    this.#draining = true;
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const silent = new Set<Socket>();
    this.#closeIdle(silent);
    const sweep = setInterval(() => this.#closeIdle(silent), IDLE_SWEEP_MS);
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

/** Closes idle connections, and those that sent nothing since the previous sweep either. */
function closeSilent(sockets: ReadonlySet<Socket>, silent: Set<Socket>): void {
  for (const socket of sockets) {
    if (socket.bytesRead > 0) continue;
    if (silent.has(socket)) socket.destroy();
    else silent.add(socket);
  }
}

function urlHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
