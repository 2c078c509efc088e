import { createServer, request } from 'node:http';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { spawn } from 'node:child_process';
import type { ConfigObject } from '@hubpo/snapshot';
import { RuntimeState, compileRuntime } from '../../../src/runtime/index.js';
import type { Runtime, RuntimeStateOptions } from '../../../src/runtime/index.js';

/** A plain node:http server in front of a runtime, as the gateway program wires it. */
export interface TestGateway {
  readonly url: string;
  readonly port: number;
  readonly state: RuntimeState;
  readonly runtime: Runtime;
  /** Compiles `objects` as the next revision, swaps it in and retires the previous runtime. */
  swap(objects: readonly ConfigObject[]): Runtime;
  close(): Promise<void>;
}

export async function startGateway(
  objects: readonly ConfigObject[],
  options: RuntimeStateOptions = {},
): Promise<TestGateway> {
  const state = new RuntimeState(options);
  let revision = 1;
  let runtime = compileRuntime({ revision, objects }, state);
  const server = createServer({ keepAlive: true }, (req, res) => runtime.handle(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
    runtime.handleUpgrade(req, socket, head),
  );
  const sockets = trackSockets(server);
  await listen(server);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    state,
    get runtime() {
      return runtime;
    },
    swap(next) {
      const previous = runtime;
      runtime = compileRuntime({ revision: ++revision, objects: next }, state);
      previous.retire();
      return runtime;
    },
    async close() {
      await closeServer(server, sockets);
      runtime.retire();
      await state.close();
    },
  };
}

/** A node:http upstream with a custom handler; counts requests. */
export interface TestUpstream {
  readonly url: string;
  readonly port: number;
  readonly hits: number;
  close(): Promise<void>;
}

export async function startUpstream(handler: RequestListener): Promise<TestUpstream> {
  let hits = 0;
  const server = createServer({ keepAlive: true }, (req: IncomingMessage, res: ServerResponse) => {
    hits++;
    handler(req, res);
  });
  const sockets = trackSockets(server);
  await listen(server);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get hits() {
      return hits;
    },
    close: () => closeServer(server, sockets),
  };
}

/** Answers every request with `status` and a small body, after reading the request. */
export function respondWith(status: number, body = `status ${status}`): RequestListener {
  return (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
}

/** A loopback URL nothing listens on (connections are refused). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await listen(server);
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}

/** Reads a JSON error body. */
export async function errorOf(
  response: Response,
): Promise<{ code: string; message: string; request_id: string }> {
  const body = (await response.json()) as { error: { code: string; message: string; request_id: string } };
  return body.error;
}

/** GET with node:http (fetch will not send a custom Host header). */
export function httpGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A loopback URL where TCP connects hang: a child process listens with a backlog of 1 and is
 * then stopped (SIGSTOP), and a few connections fill its accept queue, so the kernel drops
 * further SYNs and a client's connect only ends by its own timeout.
 */
export async function hangingConnectUrl(): Promise<{ url: string; close(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "const s = require('node:net').createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('error', reject);
  });
  child.kill('SIGSTOP');
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    fillers.push(socket);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of fillers) socket.destroy();
      child.kill('SIGKILL');
      await new Promise((resolve) =>
        child.exitCode === null && child.signalCode === null
          ? child.once('exit', resolve)
          : resolve(undefined),
      );
    },
  };
}
