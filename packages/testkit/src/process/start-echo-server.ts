import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { HubpoError } from '@hubpo/core';

export interface EchoServerOptions {
  /** Reported as `server` in every echo; defaults to `echo-<port>`. */
  readonly name?: string;
  /** Port on 127.0.0.1; a free one when omitted. */
  readonly port?: number;
}

export interface EchoServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly name: string;
  /** Requests received so far, including `/close` and WebSocket upgrades. */
  readonly requests: number;
  /** Closes the listener and destroys every open connection and WebSocket. Idempotent. */
  stop(): Promise<void>;
}

/** The JSON body of every echo response. */
export interface EchoResponse {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | string[]>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  readonly server: string;
}

/** Longest `/delay/<ms>` honoured, so a typo cannot hang a test run. */
const MAX_DELAY_MS = 60_000;

/**
 * An HTTP/1.1 upstream for proxy tests, on 127.0.0.1:
 * - any path: 200 with an `EchoResponse` JSON body;
 * - `/status/<code>`: that status (with the echo body unless the status forbids a body);
 * - `/delay/<ms>`: the echo after `ms` milliseconds;
 * - `/close`: destroys the connection without answering;
 * - `/ws`: a WebSocket that sends every message back (same data, same text/binary type).
 */
export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const server = new LocalEchoServer(options.name);
  await server.listen(options.port ?? 0);
  return server;
}

class LocalEchoServer implements EchoServer {
  readonly #http = createServer((request, response) => this.#handle(request, response));
  readonly #ws = new WebSocketServer({ noServer: true });
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #name: string | undefined;
  #port = 0;
  #requests = 0;
  #stopping: Promise<void> | undefined;

  constructor(name: string | undefined) {
    this.#name = name;
    this.#http.keepAliveTimeout = 5000;
    this.#http.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.#http.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      this.#requests++;
      if (pathOf(request) !== '/ws') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.#ws.handleUpgrade(request, socket, head, (client) => {
        client.on('message', (data, isBinary) => client.send(data, { binary: isBinary }));
        client.on('error', () => client.terminate());
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  get name(): string {
    return this.#name ?? `echo-${this.#port}`;
  }

  get requests(): number {
    return this.#requests;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#http.once('error', (error) =>
        reject(
          new HubpoError('UNAVAILABLE', `echo server cannot listen on 127.0.0.1:${port}`, { cause: error }),
        ),
      );
      this.#http.listen({ host: '127.0.0.1', port }, () => {
        const address = this.#http.address();
        this.#port = typeof address === 'object' && address !== null ? address.port : port;
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    this.#stopping ??= new Promise((resolve) => {
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      for (const client of this.#ws.clients) client.terminate();
      this.#ws.close();
      this.#http.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#stopping;
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    this.#requests++;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', () => undefined);
    request.on('end', () => this.#respond(request, response, Buffer.concat(chunks).toString('utf8')));
  }

  #respond(request: IncomingMessage, response: ServerResponse, body: string): void {
    const url = new URL(request.url ?? '/', 'http://echo.invalid');
    const echo: EchoResponse = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: queryOf(url.searchParams),
      headers: request.headers,
      body,
      server: this.name,
    };
    const segments = url.pathname.split('/');
    const route = segments[1];
    const argument = Number(segments[2]);
    if (url.pathname === '/close') {
      request.socket.destroy();
    } else if (route === 'status' && Number.isInteger(argument) && argument >= 200 && argument <= 599) {
      send(response, argument, echo);
    } else if (route === 'delay' && Number.isFinite(argument) && argument >= 0) {
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          send(response, 200, echo);
        },
        Math.min(argument, MAX_DELAY_MS),
      );
      this.#timers.add(timer);
      response.once('close', () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
      });
    } else {
      send(response, 200, echo);
    }
  }
}

function send(response: ServerResponse, status: number, echo: EchoResponse): void {
  if (response.destroyed) return;
  const bodyless = status === 204 || status === 304 || echo.method === 'HEAD';
  const payload = bodyless ? '' : JSON.stringify(echo);
  response.writeHead(status, {
    'content-type': 'application/json',
    ...(bodyless ? {} : { 'content-length': Buffer.byteLength(payload) }),
    'x-echo-server': echo.server,
  });
  response.end(payload);
}

function pathOf(request: IncomingMessage): string {
  return new URL(request.url ?? '/', 'http://echo.invalid').pathname;
}

function queryOf(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    query[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  return query;
}
