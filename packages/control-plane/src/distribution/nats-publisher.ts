import { connect } from 'nats';
import type { NatsConnection, Subscription } from 'nats';
import { HubpoError, errorMessage } from '@hubpo/core';
import type { Runner } from '@hubpo/core';
import { NatsConfigBucket, configNatsConnectionOptions, subscribeAcks } from '@hubpo/snapshot';
import type { ConfigAck } from '@hubpo/snapshot';
import type { Logger } from '../logger.js';
import type { PublishedSnapshots } from '../pipeline/published-snapshots.js';
import type { ClusterStore } from '../store/cluster-store.js';
import type { GatewayRegistry } from './gateway-registry.js';

export interface NatsPublisherOptions {
  readonly url: string;
  readonly published: PublishedSnapshots;
  readonly registry: GatewayRegistry;
  readonly clusters: ClusterStore;
  readonly logger: Logger;
  readonly onNewCluster: (cluster: string) => void;
  /**
   * Replicas of the config KV bucket when this publisher creates it (`HUBPO_NATS_REPLICAS`,
   * 1..5; the JetStream cluster needs at least as many servers). Default 1. An existing bucket
   * keeps its replicas.
   */
  readonly replicas?: number;
  /** Retry delays after a failed publish grow from `retryMinMs` to `retryMaxMs`. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

/**
 * The NATS JetStream driver: writes every published snapshot to the config KV bucket (resources,
 * then the manifest) and records gateways' ACKs, NACKs and heartbeats. It runs beside the rest:
 * start does not wait for NATS, a NATS outage delays only this driver, and once NATS is back the
 * latest snapshot of every cluster is published (intermediate revisions are skipped).
 */
export class NatsPublisher implements Runner {
  readonly name = 'nats-publisher';
  readonly #o: NatsPublisherOptions;
  readonly #pending = new Set<string>();
  #nc: NatsConnection | undefined;
  #bucket: NatsConfigBucket | undefined;
  #acks: Subscription | undefined;
  #subscription: { close(): void } | undefined;
  #draining: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #retryMs: number;
  #stopped = false;
  #connecting: Promise<void> | undefined;
  /** False between a disconnect and the reconnect: requests then would only wait for their timeout. */
  #online = false;
  /** Revision and hash last written per cluster, for `GET /api/v1/config`. */
  readonly #written = new Map<string, { revision: number; hash: string }>();

  constructor(options: NatsPublisherOptions) {
    this.#o = options;
    this.#retryMs = options.retryMinMs ?? 250;
  }

  get connected(): boolean {
    return this.#bucket !== undefined && this.#nc?.isClosed() === false;
  }

  written(cluster: string): { revision: number; hash: string } | undefined {
    return this.#written.get(cluster);
  }

  async start(): Promise<void> {
    this.#subscription = this.#o.published.subscribe((published) => {
      this.#pending.add(published.snapshot.cluster);
      this.#kick();
    });
    this.#connecting = this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#subscription?.close();
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    await this.#draining?.catch(() => undefined);
    this.#acks?.unsubscribe();
    const nc = this.#nc;
    if (nc !== undefined && !nc.isClosed()) await nc.close().catch(() => undefined);
    await this.#connecting?.catch(() => undefined);
  }

  /** Resolves when every pending cluster was written (or NATS is not reachable and retries are scheduled). */
  async idle(): Promise<void> {
    await this.#draining;
  }

  async #connect(): Promise<void> {
    try {
      const nc = await connect(
        configNatsConnectionOptions(this.#o.url, {
          name: 'hubpo-control-plane',
          waitOnFirstConnect: true,
          timeout: 5000,
        }),
      );
      if (this.#stopped) {
        await nc.close();
        return;
      }
      this.#nc = nc;
      this.#online = true;
      void this.#watchStatus(nc);
      this.#acks = subscribeAcks(nc, (ack) => this.#onAck(ack), {
        onError: (err) =>
          this.#o.logger.warn({ err: errorMessage(err) }, 'ignored an invalid gateway ACK on NATS'),
      });
      this.#o.logger.info({ server: nc.getServer() }, 'NATS connected');
      this.#markAllPending();
      this.#kick();
    } catch (err) {
      this.#o.logger.error({ err: errorMessage(err) }, 'NATS connection failed; the NATS driver is off');
    }
  }

  async #watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.#online = false;
        this.#o.logger.warn('NATS disconnected; gRPC distribution continues');
      }
      if (status.type === 'reconnect') {
        this.#online = true;
        this.#o.logger.info('NATS reconnected; publishing the latest snapshots');
        this.#markAllPending();
        this.#retryMs = this.#o.retryMinMs ?? 250;
        if (this.#retry !== undefined) clearTimeout(this.#retry);
        this.#retry = undefined;
        this.#kick();
      }
    }
  }

  #markAllPending(): void {
    for (const cluster of this.#o.published.clusters()) this.#pending.add(cluster);
  }

  #kick(): void {
    if (this.#draining !== undefined || this.#stopped || this.#nc === undefined || !this.#online) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.size > 0 && !this.#stopped && this.#online) {
      const cluster = this.#pending.values().next().value as string;
      this.#pending.delete(cluster);
      const published = this.#o.published.get(cluster);
      if (published === undefined) continue;
      try {
        const bucket = await this.#openBucket();
        const result = await bucket.publish(published.snapshot);
        this.#written.set(cluster, { revision: result.revision, hash: result.hash });
        this.#retryMs = this.#o.retryMinMs ?? 250;
        this.#o.logger.debug({ cluster, ...result }, 'snapshot written to NATS');
      } catch (err) {
        if (HubpoError.is(err, 'CONFLICT')) {
          this.#o.logger.error(
            { cluster, err: errorMessage(err) },
            'NATS holds a newer revision of this cluster in the same epoch; not overwritten ' +
              '(database restored from a backup? see docs/adr/0008-config-epochs.md)',
          );
          continue;
        }
        this.#pending.add(cluster);
        this.#scheduleRetry(err);
        return;
      }
    }
  }

  #scheduleRetry(err: unknown): void {
    const delay = this.#retryMs;
    this.#retryMs = Math.min(delay * 2, this.#o.retryMaxMs ?? 5000);
    this.#o.logger.warn({ err: errorMessage(err), retryInMs: delay }, 'NATS publish failed; will retry');
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#kick();
    }, delay);
    this.#retry.unref();
  }

  async #openBucket(): Promise<NatsConfigBucket> {
    if (this.#bucket !== undefined) return this.#bucket;
    const nc = this.#nc;
    if (nc === undefined) throw new HubpoError('UNAVAILABLE', 'NATS is not connected');
    this.#bucket = await NatsConfigBucket.open(nc, {
      create: true,
      replicas: this.#o.replicas ?? 1,
      onError: (err) => this.#o.logger.warn({ err: errorMessage(err) }, 'NATS bucket housekeeping failed'),
    });
    return this.#bucket;
  }

  #onAck(ack: ConfigAck): void {
    const { registry } = this.#o;
    const state = registry.get(ack.nodeId);
    if (state === undefined || state.cluster !== ack.cluster || state.transport !== 'nats') {
      registry.connected({
        nodeId: ack.nodeId,
        cluster: ack.cluster,
        transport: 'nats',
        node: {},
        revision: ack.revision,
        hash: ack.hash,
        epoch: ack.epoch,
      });
      if (this.#o.published.get(ack.cluster) === undefined) void this.#registerCluster(ack.cluster);
    }
    const served = { revision: ack.revision, hash: ack.hash, epoch: ack.epoch };
    if (ack.ok) {
      // A revision of another epoch is recorded as 0 / "" (see GatewayRegistry.useEpoch).
      const counted = registry.countsEpoch(ack.epoch);
      const moved =
        state === undefined ||
        state.appliedRevision !== (counted ? ack.revision : 0) ||
        state.appliedHash !== (counted ? ack.hash : '');
      if (ack.heartbeat && !moved) registry.seen(ack.nodeId);
      else registry.ack(ack.nodeId, served, ack.appliedAtUnixMs > 0 ? ack.appliedAtUnixMs : Date.now());
      return;
    }
    if (ack.heartbeat && state?.lastNackRevision === ack.rejectedRevision) {
      registry.seen(ack.nodeId);
      return;
    }
    const error = ack.error === undefined ? 'rejected' : `${ack.error.code}: ${ack.error.message}`;
    registry.nack(ack.nodeId, served, ack.rejectedRevision, error);
  }

  async #registerCluster(cluster: string): Promise<void> {
    try {
      if (await this.#o.clusters.ensure(cluster))
        this.#o.logger.info({ cluster }, 'new cluster registered by a NATS gateway');
      this.#o.onNewCluster(cluster);
    } catch (err) {
      this.#o.logger.warn({ cluster, err: errorMessage(err) }, 'registering a cluster failed');
    }
  }
}
