import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';

/**
 * WebSocket pass-through on `http-proxy` (node-http-proxy): the upgrade request goes to the
 * picked backend, its 101 and then the two sockets are piped both ways. The HTTP hot path runs
 * on undici instead (ADR 0005); upgrades are rare and long-lived, so per-upgrade costs here do
 * not matter. `xfwd` appends X-Forwarded-For/-Port/-Proto.
 */
export class WebSocketProxy {
  readonly #proxy = httpProxy.createProxyServer({ ws: true, xfwd: true, prependPath: true });
  readonly #sockets = new Set<Duplex>();

  constructor() {
    // Errors reach the per-upgrade callback; this only keeps a stray one from being unhandled.
    this.#proxy.on('error', () => undefined);
    this.#proxy.on('open', (upstream: Duplex) => {
      this.#sockets.add(upstream);
      upstream.once('close', () => this.#sockets.delete(upstream));
    });
  }

  /**
   * Forwards an upgrade to `target` (`http(s)://host:port/base`). `onError` runs at most once, on a
   * failure before the upstream answered (nothing was written to the client socket yet).
   */
  forward(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: string,
    onError: (error: Error) => void,
  ): void {
    let failed = false;
    this.#proxy.ws(req, socket, head, { target }, (error: Error) => {
      if (failed) return;
      failed = true;
      onError(error);
    });
  }

  /** Closes every proxied WebSocket (state shutdown). */
  close(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    this.#proxy.close();
  }
}
