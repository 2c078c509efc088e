import { errorMessage } from '@hubpo/core';
import type { Runner } from '@hubpo/core';
import type { Logger } from '../logger.js';
import type { ClusterStore } from '../store/cluster-store.js';
import type { GatewayRecord, GatewayStore } from '../store/gateway-store.js';

/** A gateway as this replica tracks it: its record plus recent ACKs (memory only). */
export interface GatewayState extends GatewayRecord {
  /** Revisions this gateway ACKed, with when (Unix ms), oldest first, the last few only. */
  readonly acks: readonly { readonly revision: number; readonly at: number }[];
}

export interface GatewayHello {
  readonly nodeId: string;
  readonly cluster: string;
  readonly transport: 'grpc' | 'nats';
  readonly node: Readonly<Record<string, unknown>>;
  readonly revision: number;
  readonly hash: string;
  /** Epoch of `revision` ("" = none held, or a gateway older than epochs). */
  readonly epoch: string;
}

/** A revision as a gateway reports it (ACK, NACK, hello). */
export interface AppliedRevision {
  readonly revision: number;
  readonly hash: string;
  /** Epoch of `revision` ("" = none held, or a gateway older than epochs). */
  readonly epoch: string;
}

const ACK_HISTORY = 32;

/**
 * Gateway state shared by both drivers and the status computation. Changes are applied in memory
 * at once and written to the `gateways` table in coalesced batches (one upsert per flush), so a
 * fleet of gateways ACKing a revision costs one statement, not one per gateway.
 */
export class GatewayRegistry implements Runner {
  readonly name = 'gateway-registry';
  readonly #gateways = new Map<string, GatewayState>();
  readonly #dirty = new Set<string>();
  readonly #store: GatewayStore;
  readonly #clusters: ClusterStore;
  readonly #logger: Logger;
  readonly #flushMs: number;
  readonly #staleMs: number;
  readonly #listeners = new Set<(state: GatewayState) => void>();
  #timer: NodeJS.Timeout | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #epoch = '';
  /** Nodes last seen serving another epoch (logged once per episode). */
  readonly #foreign = new Set<string>();

  constructor(options: {
    store: GatewayStore;
    clusters: ClusterStore;
    logger: Logger;
    flushMs?: number;
    staleMs: number;
  }) {
    this.#store = options.store;
    this.#clusters = options.clusters;
    this.#logger = options.logger;
    this.#flushMs = options.flushMs ?? 200;
    this.#staleMs = options.staleMs;
  }

  async start(): Promise<void> {
    const stale = Date.now() - this.#staleMs;
    for (const record of await this.#store.list()) {
      // A gateway that was connected to a replica that died is connected no more.
      const connected = record.connected && record.lastSeen.getTime() >= stale;
      this.#gateways.set(record.nodeId, { ...record, connected, acks: [] });
      if (connected !== record.connected) this.#dirty.add(record.nodeId);
    }
    this.#sweeper = setInterval(() => void this.#sweep(), Math.max(1000, Math.floor(this.#staleMs / 4)));
    this.#sweeper.unref();
  }

  async stop(): Promise<void> {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    await this.flush();
  }

  /** Called on every change (ACK, NACK, connect, disconnect); used to refresh statuses. */
  onChange(listener: (state: GatewayState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  list(): readonly GatewayState[] {
    return [...this.#gateways.values()];
  }

  get(nodeId: string): GatewayState | undefined {
    return this.#gateways.get(nodeId);
  }

  /**
   * The config epoch of the database (ADR 0008). A revision a gateway reports under another
   * epoch is recorded as 0 / "" (it serves nothing of this database), so it never counts as
   * having applied a revision of this one.
   */
  useEpoch(epoch: string): void {
    this.#epoch = epoch;
  }

  /** Whether revisions of `epoch` count as revisions of this database ("" on either side: yes). */
  countsEpoch(epoch: string): boolean {
    return this.#epoch === '' || epoch === '' || epoch === this.#epoch;
  }

  /** A gateway introduced itself (stream start, or its first NATS message). */
  connected(hello: GatewayHello): GatewayState | undefined {
    const previous = this.#gateways.get(hello.nodeId);
    const applied = this.#inEpoch(hello.nodeId, hello);
    this.#set({
      nodeId: hello.nodeId,
      cluster: hello.cluster,
      transport: hello.transport,
      node: hello.node,
      appliedRevision: applied.revision,
      appliedHash: applied.hash,
      lastAckAt: previous?.lastAckAt ?? null,
      lastNackAt: previous?.lastNackAt ?? null,
      lastNackError: previous?.lastNackError ?? null,
      lastNackRevision: previous?.lastNackRevision ?? null,
      lastSeen: new Date(),
      connected: true,
      acks: previous?.cluster === hello.cluster ? previous.acks : [],
    });
    return previous;
  }

  ack(nodeId: string, served: AppliedRevision, at = Date.now()): void {
    const state = this.#gateways.get(nodeId);
    if (state === undefined) return;
    const { revision, hash } = this.#inEpoch(nodeId, served);
    const acks =
      revision === 0 || state.acks.at(-1)?.revision === revision
        ? state.acks
        : [...state.acks, { revision, at }].slice(-ACK_HISTORY);
    this.#set({
      ...state,
      appliedRevision: revision,
      appliedHash: hash,
      lastAckAt: new Date(at),
      lastSeen: new Date(),
      connected: true,
      acks,
    });
  }

  nack(nodeId: string, serving: AppliedRevision, rejectedRevision: number, error: string): void {
    const state = this.#gateways.get(nodeId);
    if (state === undefined) return;
    const applied = this.#inEpoch(nodeId, serving);
    this.#set({
      ...state,
      appliedRevision: applied.revision,
      appliedHash: applied.hash,
      lastNackAt: new Date(),
      lastNackError: error.slice(0, 2000),
      lastNackRevision: rejectedRevision,
      lastSeen: new Date(),
      connected: true,
    });
  }

  /** Heartbeat: only `last_seen` moves (and connected, for NATS gateways). */
  seen(nodeId: string): void {
    const state = this.#gateways.get(nodeId);
    if (state === undefined) return;
    const reconnected = !state.connected;
    this.#gateways.set(nodeId, { ...state, lastSeen: new Date(), connected: true });
    this.#markDirty(nodeId);
    if (reconnected) this.#emit(nodeId);
  }

  disconnected(nodeId: string): void {
    const state = this.#gateways.get(nodeId);
    if (state === undefined || !state.connected) return;
    this.#set({ ...state, connected: false, lastSeen: new Date() });
  }

  /** Writes pending changes now (also what the periodic flush does). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write());
    return this.#flushing;
  }

  /** What a gateway serves, as a revision of this database's epoch (0 / "" for another epoch's). */
  #inEpoch(nodeId: string, served: AppliedRevision): { revision: number; hash: string } {
    if (this.countsEpoch(served.epoch)) {
      this.#foreign.delete(nodeId);
      return served;
    }
    if (!this.#foreign.has(nodeId)) {
      this.#foreign.add(nodeId);
      this.#logger.info(
        { nodeId, revision: served.revision, gatewayEpoch: served.epoch, epoch: this.#epoch },
        'gateway serves config of another epoch; not counted until it applies this one',
      );
    }
    return { revision: 0, hash: '' };
  }

  #set(state: GatewayState): void {
    this.#gateways.set(state.nodeId, state);
    this.#markDirty(state.nodeId);
    this.#emit(state.nodeId);
  }

  #emit(nodeId: string): void {
    const state = this.#gateways.get(nodeId);
    if (state === undefined) return;
    for (const listener of this.#listeners) listener(state);
  }

  #markDirty(nodeId: string): void {
    this.#dirty.add(nodeId);
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#flushMs);
    this.#timer.unref();
  }

  async #write(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dirty.size === 0) return;
    const ids = [...this.#dirty];
    this.#dirty.clear();
    const records = ids.map((id) => this.#gateways.get(id)).filter((s): s is GatewayState => s !== undefined);
    try {
      await this.#store.upsert(records.map(toRecord));
      const clusters = [...new Set(records.filter((r) => r.connected).map((r) => r.cluster))];
      await this.#clusters.touch(clusters, new Date());
    } catch (err) {
      // Keep the changes: they are written with the next flush.
      for (const id of ids) this.#dirty.add(id);
      this.#logger.warn({ err: errorMessage(err) }, 'recording gateway state failed; will retry');
    }
  }

  async #sweep(): Promise<void> {
    const cutoff = Date.now() - this.#staleMs;
    for (const state of this.#gateways.values()) {
      if (state.connected && state.lastSeen.getTime() < cutoff) {
        this.#logger.info(
          { nodeId: state.nodeId, cluster: state.cluster },
          'gateway silent; marked disconnected',
        );
        this.disconnected(state.nodeId);
      }
    }
    try {
      const silent = await this.#clusters.markSilent(new Date(cutoff));
      for (const cluster of silent)
        this.#logger.warn({ cluster }, 'cluster unreachable: no gateway seen; its config is kept');
    } catch (err) {
      this.#logger.warn({ err: errorMessage(err) }, 'cluster liveness check failed');
    }
  }
}

function toRecord(state: GatewayState): GatewayRecord {
  const { acks: _acks, ...record } = state;
  return record;
}
