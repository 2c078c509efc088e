import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/**
 * A TCP forwarder on 127.0.0.1 that can go silent: `blackhole()` keeps every open connection
 * established but drops whatever flows on it (a peer that vanished without a FIN or RST, as
 * behind a dead NAT entry), while new connections are still forwarded normally.
 */
export class BlackholeProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; silent: boolean }>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(target: { host: string; port: number }): Promise<BlackholeProxy> {
    const server = createServer();
    const proxy = new BlackholeProxy(server);
    server.on('connection', (client: Socket) => proxy.#forward(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get target(): string {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? `127.0.0.1:${address.port}` : '';
  }

  /** Silences every connection open now. */
  blackhole(): void {
    for (const pair of this.#pairs) pair.silent = true;
  }

  async stop(): Promise<void> {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #forward(client: Socket, target: { host: string; port: number }): void {
    const upstream = connect(target);
    const pair = { client, upstream, silent: false };
    this.#pairs.add(pair);
    const close = (): void => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => pair.silent || upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => pair.silent || client.write(chunk));
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }
}
