import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
}

/**
 * A plain HTTP proxy on 127.0.0.1 in front of one upstream (the fake API server), recording every
 * request it forwards, streams (watches) included. Point one client at it to see exactly what that
 * client sends, apart from everything else talking to the upstream.
 */
export class RecordingProxy {
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly #server: Server;
  readonly #sockets: Set<Socket>;

  private constructor(server: Server, url: string, sockets: Set<Socket>, requests: RecordedRequest[]) {
    this.#server = server;
    this.url = url;
    this.#sockets = sockets;
    this.requests = requests;
  }

  static async start(upstream: string): Promise<RecordingProxy> {
    const target = new URL(upstream);
    const requests: RecordedRequest[] = [];
    const server = createServer((req, res) => {
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '/' });
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      // The client went away (an aborted watch): stop the upstream stream too.
      res.on('close', () => forward.destroy());
      req.pipe(forward);
    });
    const sockets = new Set<Socket>();
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    return new RecordingProxy(server, `http://127.0.0.1:${address.port}`, sockets, requests);
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
