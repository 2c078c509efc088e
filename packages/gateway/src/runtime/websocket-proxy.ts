import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';

/** How one forwarded upgrade ended; exactly one of these runs. */
export interface UpgradeOutcome {
  /** The upstream answered 101: the sockets are piped. */
  opened(): void;
  /** The upstream answered without upgrading (its answer is passed to the client). */
  refused(status: number): void;
  /** No answer (connect failure, reset); nothing was written to the client socket. */
  failed(error: Error): void;
}

/**
 * WebSocket pass-through on `http-proxy` (node-http-proxy): the upgrade request goes to the
 * picked backend, its 101 and then both sockets are piped. The HTTP hot path runs on undici
 * (ADR 0005); upgrades are rare and long-lived, so per-upgrade closures here do not matter.
 * `xfwd` appends X-Forwarded-For/-Port/-Proto.
 */
export class WebSocketProxy {
  readonly #proxy = httpProxy.createProxyServer({ ws: true, xfwd: true, prependPath: true });
  readonly #pending = new WeakMap<IncomingMessage, UpgradeOutcome>();
  readonly #sockets = new Set<Duplex>();

  constructor() {
    // Errors reach the per-upgrade callback; this only keeps a stray one from being unhandled.
    this.#proxy.on('error', () => undefined);
    this.#proxy.on('proxyReqWs', (proxyReq: ClientRequest, req: IncomingMessage) => {
      const outcome = this.#pending.get(req);
      if (outcome === undefined) return;
      proxyReq.once('upgrade', (_res: IncomingMessage, upstream: Duplex) => {
        this.#pending.delete(req);
        this.#sockets.add(upstream);
        upstream.once('close', () => this.#sockets.delete(upstream));
        outcome.opened();
      });
      proxyReq.once('response', (res: IncomingMessage) => {
        if (res.statusCode === 101) return;
        this.#pending.delete(req);
        outcome.refused(res.statusCode ?? 502);
      });
    });
  }

  /** Forwards an upgrade to `target` (`http(s)://host:port/base`). */
  forward(req: IncomingMessage, socket: Duplex, head: Buffer, target: string, outcome: UpgradeOutcome): void {
    this.#pending.set(req, outcome);
    this.#proxy.ws(req, socket, head, { target }, (error: Error) => {
      // http-proxy also reports errors of an upgraded connection here; only the first, pre-answer one counts.
      if (this.#pending.get(req) !== outcome) {
        socket.destroy();
        return;
      }
      this.#pending.delete(req);
      outcome.failed(error);
    });
  }

  /** Closes every proxied WebSocket (state shutdown). */
  close(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    this.#proxy.close();
  }
}
