import { Debouncer, HubpoError, errorMessage } from '@hubpo/core';
import { NatsConfigBucket, configNatsConnectionOptions, publishAck } from '@hubpo/snapshot';
import type { ConfigAck, ConfigManifest, ManifestWatch } from '@hubpo/snapshot';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { redactUrl } from '../gateway-config.js';
import type { Backoff } from './backoff.js';
import type { ConfigApplier } from './config-applier.js';
import { DriverStats } from './config-driver.js';
import type { ConfigDriver, DriverStatus } from './config-driver.js';
import type { ApplyOutcome } from './revision-update.js';

export interface NatsConfigDriverOptions {
  /** Comma-separated server URLs. */
  readonly url: string;
  readonly bucket?: string;
  readonly nodeId: string;
  readonly cluster: string;
  readonly applier: ConfigApplier;
  /** Paces connecting, binding the bucket and retrying failed reads. */
  readonly backoff: Backoff;
  readonly logger: Logger;
  readonly heartbeatIntervalMs: number;
}

/**
 * The NATS JetStream config driver (ARCHITECTURE.md "The config pipeline" §3): binds the config
 * KV bucket (read-only), follows the cluster's manifest key and, for every new manifest, reads
 * the whole snapshot it lists and applies it; outcomes and periodic heartbeats go out as ConfigAck
 * messages on `hubpo.config.ack.<cluster>.<node>`.
 *
 * Outages: the client reconnects forever; after a reconnect the manifest watch is recreated and
 * first yields the current manifest, so a revision published while the server was away is read
 * then. Reads that fail for transport reasons are retried with backoff (not NACKed); only a
 * snapshot that does not verify or compile is NACKed.
 */
export class NatsConfigDriver implements ConfigDriver {
  readonly kind = 'nats' as const;
  readonly #options: NatsConfigDriverOptions;
  readonly #stats = new DriverStats();
  readonly #reconcile: Debouncer;
  #nc: NatsConnection | undefined;
  #bucket: NatsConfigBucket | undefined;
  #watch: ManifestWatch | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #sleep: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  #lastAck: ConfigAck | undefined;
  /** The newest manifest the watch delivered (names the revision of a snapshot that failed to verify). */
  #manifest: ConfigManifest | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: NatsConfigDriverOptions) {
    this.#options = options;
    // One read at a time; a trigger during a read asks for exactly one more.
    this.#reconcile = new Debouncer({
      quietMs: 0,
      maxWaitMs: 0,
      action: () => this.#readAndApply(),
      onError: (err) => this.#options.logger.error({ err }, 'config reconcile failed'),
    });
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stats.state = 'stopped';
    if (this.#sleep !== undefined) {
      clearTimeout(this.#sleep.timer);
      this.#sleep.wake();
    }
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    await this.#running;
    await this.#watch?.stop();
    await this.#reconcile.stop();
    const nc = this.#nc;
    if (nc !== undefined && !nc.isClosed()) {
      // Flushes a last ACK or heartbeat still buffered, then closes.
      await nc.drain().catch(() => nc.close());
    }
  }

  status(): DriverStatus {
    return this.#stats.snapshot('nats', redactUrl(this.#options.url));
  }

  /** Connects and binds the bucket, retrying forever; then the watch and the client take over. */
  async #run(): Promise<void> {
    const nc = await this.#retrying('connect to NATS', () => this.#connect());
    if (nc === undefined) return;
    this.#nc = nc; // closed by stop() even when it stopped meanwhile
    if (this.#stopped) return;
    this.#onConnected();
    void this.#followStatus(nc);
    const bucket = await this.#retrying('bind the config bucket', () =>
      NatsConfigBucket.open(nc, this.#options.bucket === undefined ? {} : { bucket: this.#options.bucket }),
    );
    if (bucket === undefined || this.#stopped) return;
    this.#bucket = bucket;
    this.#watch = bucket.watchManifest(this.#options.cluster, (manifest) => this.#onManifest(manifest), {
      onError: (err) =>
        this.#options.logger.warn({ err: errorMessage(err) }, 'manifest watch error; retrying'),
    });
    this.#heartbeat = setInterval(() => this.#publishHeartbeat(), this.#options.heartbeatIntervalMs);
    this.#heartbeat.unref();
  }

  #connect(): Promise<NatsConnection> {
    const servers = this.#options.url.split(',').map((server) => server.trim());
    return connect(configNatsConnectionOptions(servers, { name: `hubpo-gateway ${this.#options.nodeId}` }));
  }

  async #followStatus(nc: NatsConnection): Promise<void> {
    for await (const event of nc.status()) {
      if (this.#stopped) return;
      const type = String(event.type);
      if (type === 'disconnect') {
        this.#stats.state = 'disconnected';
        this.#stats.disconnects += 1;
        this.#options.logger.warn(
          { server: redactUrl(String(event.data)) },
          'NATS disconnected; serving the current config',
        );
      } else if (type === 'reconnect') {
        this.#onConnected();
        this.#options.logger.info({ server: redactUrl(String(event.data)) }, 'NATS reconnected');
        // The manifest watch re-reads after a reconnect too; this read does not depend on it.
        if (this.#bucket !== undefined) this.#reconcile.trigger();
      }
    }
  }

  #onConnected(): void {
    if (this.#stopped) return;
    this.#stats.state = 'connected';
    this.#stats.connectedAt = Date.now();
    this.#stats.lastError = null;
  }

  #onManifest(manifest: ConfigManifest): Promise<void> {
    this.#manifest = manifest;
    return this.#reconcile.flush();
  }

  /** Reads the current snapshot and applies it; the watch calls this for every new manifest. */
  async #readAndApply(): Promise<void> {
    const bucket = this.#bucket;
    if (bucket === undefined || this.#stopped) return;
    let snapshot;
    try {
      snapshot = await bucket.readSnapshot(this.#options.cluster);
    } catch (err) {
      if (HubpoError.is(err, 'SNAPSHOT_INVALID') || HubpoError.is(err, 'SNAPSHOT_CORRUPT')) {
        this.#report(
          this.#options.applier.held,
          err,
          this.#manifest?.revision ?? 0,
          this.#manifest?.hash ?? '',
        );
        return;
      }
      this.#scheduleRetry(err);
      return;
    }
    this.#options.backoff.reset();
    if (snapshot === undefined) {
      this.#options.logger.info(
        { cluster: this.#options.cluster },
        'no config published for this cluster yet',
      );
      return;
    }
    this.#stats.lastUpdateAt = Date.now();
    const outcome = this.#options.applier.applySnapshot(snapshot, 'nats');
    this.#ack(outcome, snapshot.hash);
  }

  #ack(outcome: ApplyOutcome, offeredHash: string): void {
    if (outcome.kind === 'rejected') {
      this.#report(outcome, outcome.error, outcome.offered, offeredHash);
      return;
    }
    this.#stats.acks += 1;
    this.#publish({ ...this.#baseAck(outcome), ok: true, rejectedRevision: 0, rejectedHash: '' });
  }

  /** NACK: what is served, and which revision was refused and why. */
  #report(
    serving: { revision: number; hash: string },
    err: unknown,
    offered: number,
    offeredHash: string,
  ): void {
    const error = HubpoError.from(err, 'SNAPSHOT_INVALID');
    this.#stats.nacks += 1;
    this.#publish({
      ...this.#baseAck(serving),
      ok: false,
      error: { code: error.code, message: error.message },
      rejectedRevision: offered,
      rejectedHash: offeredHash,
    });
  }

  #baseAck(serving: {
    revision: number;
    hash: string;
  }): Omit<ConfigAck, 'ok' | 'rejectedRevision' | 'rejectedHash'> {
    return {
      nodeId: this.#options.nodeId,
      cluster: this.#options.cluster,
      revision: serving.revision,
      hash: serving.hash,
      // `serving` is always what the applier holds, so its epoch is the applier's.
      epoch: this.#options.applier.held.epoch,
      appliedAtUnixMs: this.#options.applier.applied?.appliedAt ?? 0,
      heartbeat: false,
    };
  }

  #publishHeartbeat(): void {
    const last = this.#lastAck ?? {
      ...this.#baseAck(this.#options.applier.held),
      ok: true,
      rejectedRevision: 0,
      rejectedHash: '',
    };
    this.#publish({ ...last, heartbeat: true }, false);
  }

  #publish(ack: ConfigAck, remember = true): void {
    if (remember) this.#lastAck = ack;
    const nc = this.#nc;
    if (nc === undefined || nc.isClosed()) return;
    try {
      // Buffered by the client while disconnected; a lost one is restated by the next heartbeat.
      publishAck(nc, ack);
    } catch (err) {
      this.#options.logger.debug({ err: errorMessage(err) }, 'cannot publish the config ACK');
    }
  }

  #scheduleRetry(err: unknown): void {
    if (this.#stopped) return;
    const delay = this.#options.backoff.next();
    this.#stats.lastError = errorMessage(err);
    this.#options.logger.warn(
      { err: errorMessage(err), retryInMs: delay },
      'cannot read the config snapshot; retrying',
    );
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = setTimeout(() => this.#reconcile.trigger(), delay);
  }

  /** Runs `attempt` until it succeeds or the driver stops (then undefined). */
  async #retrying<T>(what: string, attempt: () => Promise<T>): Promise<T | undefined> {
    for (let failures = 0; !this.#stopped; failures += 1) {
      try {
        const value = await attempt();
        this.#options.backoff.reset();
        return value;
      } catch (err) {
        this.#stats.lastError = `${what}: ${errorMessage(err)}`;
        const delay = this.#options.backoff.next();
        // The first failure is a warning; the retries that follow are debug noise.
        const level = failures === 0 ? 'warn' : 'debug';
        this.#options.logger[level]({ err: errorMessage(err), retryInMs: delay }, `cannot ${what}; retrying`);
        await new Promise<void>((wake) => {
          this.#sleep = { timer: setTimeout(wake, delay), wake };
        });
        this.#sleep = undefined;
      }
    }
    return undefined;
  }
}
