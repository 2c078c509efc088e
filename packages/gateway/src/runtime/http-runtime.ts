import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConsumerRuntime } from './consumer-runtime.js';
import { ProxyExchange } from './proxy-exchange.js';
import type { ExchangeHost } from './proxy-exchange.js';
import type { RouteTable } from './route-table.js';
import type { RuleRuntime } from './rule-runtime.js';
import type { Runtime } from './runtime.js';
import type { RuntimeState } from './runtime-state.js';
import type { UpstreamPool } from './upstream-pool.js';
import { UpgradeExchange } from './upgrade-exchange.js';

function destroySocket(this: Duplex): void {
  this.destroy();
}

/** The `Runtime` `compileRuntime` builds: immutable tables plus references into the shared state. */
export class HttpRuntime implements Runtime, ExchangeHost {
  readonly revision: number;
  readonly table: RouteTable<RuleRuntime>;
  readonly consumersByKeyHash: ReadonlyMap<string, ConsumerRuntime>;
  readonly state: RuntimeState;
  readonly #pools: readonly UpstreamPool[];
  #inflight = 0;
  #retired = false;
  #released = false;

  constructor(
    revision: number,
    table: RouteTable<RuleRuntime>,
    consumersByKeyHash: ReadonlyMap<string, ConsumerRuntime>,
    state: RuntimeState,
    pools: readonly UpstreamPool[],
  ) {
    this.revision = revision;
    this.table = table;
    this.consumersByKeyHash = consumersByKeyHash;
    this.state = state;
    this.#pools = pools;
    for (const pool of pools) pool.acquire();
  }

  /** Requests (and upgrade handshakes) in progress on this runtime. */
  get inflight(): number {
    return this.#inflight;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    new ProxyExchange(this, req, res).start();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node removed its own error listener from an upgraded socket: without one a reset would throw.
    socket.on('error', destroySocket);
    new UpgradeExchange(this, req, socket, head).start();
  }

  retire(): void {
    this.#retired = true;
    if (this.#inflight === 0) this.#release();
  }

  exchangeStarted(): void {
    this.#inflight++;
    const metrics = this.state.metrics;
    if (metrics !== null) metrics.active++;
  }

  exchangeEnded(): void {
    this.#inflight--;
    const metrics = this.state.metrics;
    if (metrics !== null) metrics.active--;
    if (this.#inflight === 0 && this.#retired) this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const pool of this.#pools) pool.release();
  }
}
