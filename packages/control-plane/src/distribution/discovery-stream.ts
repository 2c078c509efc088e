import { randomBytes } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { HubpoError, assertNever, errorMessage } from '@hubpo/core';
import { diffSnapshot, discoveryRequestKind, discoveryResponseFor, snapshotVersions } from '@hubpo/snapshot';
import type { DiscoveryNode, DiscoveryRequest, DiscoveryResponse, Snapshot } from '@hubpo/snapshot';
import type { Logger } from '../logger.js';
import type { GatewayRegistry } from './gateway-registry.js';

export type DiscoveryCall = ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;

/** What a stream needs from the server around it. */
export interface StreamContext {
  readonly registry: GatewayRegistry;
  readonly logger: Logger;
  /** The snapshot the node's cluster should serve; registers an unknown cluster. */
  snapshotFor(cluster: string): Promise<Snapshot>;
  /**
   * The stream learned its cluster (first message) or ended (`undefined`). Returns the cluster's
   * snapshot as published now: from here on, newer ones arrive through `offer`.
   */
  attach(stream: DiscoveryStream, cluster: string | undefined): Snapshot | undefined;
}

/** Above this many changed + removed resources (and half the snapshot) a full snapshot is sent. */
const DELTA_LIMIT = 64;

/**
 * One gateway's ConfigDiscovery stream (delta-xDS style, proto/hubpo/config/v1/config.proto). At
 * most one response is in flight: a newer snapshot published meanwhile is sent once the gateway
 * ACKs or NACKs, as a delta against what it then holds. A NACKed snapshot is not resent; the
 * gateway gets the next one.
 */
export class DiscoveryStream {
  readonly #call: DiscoveryCall;
  readonly #ctx: StreamContext;
  #node: DiscoveryNode | undefined;
  /** Versions the gateway holds: its initial report, then each ACKed snapshot. */
  #held = new Map<string, string>();
  #heldHash = '';
  #forceFull = false;
  #inflight: { readonly nonce: string; readonly snapshot: Snapshot } | undefined;
  #nackedHash = '';
  #latest: Snapshot | undefined;
  #closed = false;
  #queue: Promise<void> = Promise.resolve();

  constructor(call: DiscoveryCall, ctx: StreamContext) {
    this.#call = call;
    this.#ctx = ctx;
    call.on('data', (request: DiscoveryRequest) => {
      // Requests are handled in order; a slow one (cluster registration) delays the next.
      this.#queue = this.#queue.then(() => this.#handle(request)).catch((err: unknown) => this.#fail(err));
    });
    call.on('end', () => this.close());
    call.on('error', () => this.close());
    call.on('cancelled', () => this.close());
  }

  get nodeId(): string | undefined {
    return this.#node?.id;
  }

  get cluster(): string | undefined {
    return this.#node?.cluster;
  }

  /** A new snapshot of the stream's cluster was published. */
  offer(snapshot: Snapshot): void {
    this.#latest = snapshot;
    this.#sendLatest();
  }

  /** Ends the stream (server stop, or the peer went away) and marks the gateway disconnected. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const node = this.#node;
    if (node !== undefined) {
      this.#ctx.registry.disconnected(node.id);
      this.#ctx.logger.info({ nodeId: node.id, cluster: node.cluster }, 'gateway stream ended');
    }
    this.#ctx.attach(this, undefined);
    try {
      this.#call.end();
    } catch {
      // already closed
    }
  }

  async #handle(request: DiscoveryRequest): Promise<void> {
    if (this.#closed) return;
    const kind = discoveryRequestKind(request);
    if (this.#node === undefined && kind !== 'initial') {
      throw new HubpoError('BAD_REQUEST', 'the first DiscoveryRequest of a stream must carry the node');
    }
    switch (kind) {
      case 'initial':
        await this.#hello(request);
        return;
      case 'ack':
        this.#ack(request);
        return;
      case 'nack':
        this.#nack(request);
        return;
      case 'heartbeat':
        if (this.#node !== undefined) this.#ctx.registry.seen(this.#node.id);
        return;
      default:
        assertNever(kind, 'discovery request kind');
    }
  }

  async #hello(request: DiscoveryRequest): Promise<void> {
    const node = request.node;
    if (node === undefined || node.id === '' || node.cluster === '') {
      throw new HubpoError('BAD_REQUEST', 'the first DiscoveryRequest must carry node.id and node.cluster');
    }
    if (this.#node !== undefined) return; // a repeated hello changes nothing
    this.#node = node;
    const previous = this.#ctx.registry.connected({
      nodeId: node.id,
      cluster: node.cluster,
      transport: 'grpc',
      node: {
        cloud: node.cloud,
        region: node.region,
        zone: node.zone,
        build: node.build,
        labels: Object.fromEntries(node.labels),
      },
      revision: request.revision,
      hash: request.snapshotHash,
      epoch: request.epoch ?? '',
    });
    // Versions a gateway reports for another cluster's data say nothing about this one.
    this.#forceFull = previous !== undefined && previous.cluster !== node.cluster;
    this.#held = new Map(request.initialResourceVersions);
    this.#heldHash = request.snapshotHash;
    this.#ctx.logger.info(
      { nodeId: node.id, cluster: node.cluster, revision: request.revision, epoch: request.epoch },
      'gateway connected',
    );
    const snapshot = await this.#ctx.snapshotFor(node.cluster);
    const current = this.#ctx.attach(this, node.cluster) ?? snapshot;
    if (request.epoch === current.epoch && current.epoch !== '' && request.revision > current.revision) {
      this.#ctx.logger.warn(
        { nodeId: node.id, cluster: node.cluster, revision: request.revision, published: current.revision },
        'gateway holds a newer revision of this epoch than is published (database restored from a ' +
          'backup?); it ignores older revisions until the epoch is replaced (docs/adr/0008-config-epochs.md)',
      );
    }
    if (this.#latest === undefined || this.#latest.revision < current.revision) this.#latest = current;
    this.#send(this.#latest, true);
  }

  #ack(request: DiscoveryRequest): void {
    const inflight = this.#inflight;
    const node = this.#node;
    if (inflight === undefined || node === undefined || request.responseNonce !== inflight.nonce) return; // stale nonce
    this.#inflight = undefined;
    this.#held = snapshotVersions(inflight.snapshot);
    this.#heldHash = inflight.snapshot.hash;
    this.#forceFull = false;
    // The epoch is the gateway's word: one that ignored the response as stale still serves its own.
    this.#ctx.registry.ack(node.id, {
      revision: request.revision,
      hash: request.snapshotHash,
      epoch: request.epoch ?? '',
    });
    this.#sendLatest();
  }

  #nack(request: DiscoveryRequest): void {
    const inflight = this.#inflight;
    const node = this.#node;
    if (inflight === undefined || node === undefined || request.responseNonce !== inflight.nonce) return;
    this.#inflight = undefined;
    this.#nackedHash = inflight.snapshot.hash;
    const detail = request.errorDetail;
    const error = detail === undefined ? 'rejected' : `${detail.code}: ${detail.message}`;
    this.#ctx.registry.nack(
      node.id,
      { revision: request.revision, hash: request.snapshotHash, epoch: request.epoch ?? '' },
      inflight.snapshot.revision,
      error,
    );
    this.#ctx.logger.warn(
      {
        nodeId: node.id,
        cluster: node.cluster,
        rejected: inflight.snapshot.revision,
        serving: request.revision,
        error,
      },
      'gateway rejected a snapshot',
    );
    this.#sendLatest();
  }

  #sendLatest(): void {
    const latest = this.#latest;
    if (latest === undefined || this.#node === undefined || this.#inflight !== undefined) return;
    if (latest.hash === this.#heldHash || latest.hash === this.#nackedHash) return;
    this.#send(latest, false);
  }

  /** Sends `snapshot` as a delta against what the gateway holds, or in full when that is better. */
  #send(snapshot: Snapshot, always: boolean): void {
    if (this.#closed || (!always && snapshot.hash === this.#heldHash)) return;
    const nonce = randomBytes(12).toString('base64url');
    const holdsNothing = this.#heldHash === '' && this.#held.size === 0;
    const full = this.#forceFull || holdsNothing || this.#tooFarBehind(snapshot);
    const response = discoveryResponseFor(
      snapshot,
      full ? { nonce, full: true } : { nonce, held: this.#held },
    );
    this.#inflight = { nonce, snapshot };
    this.#call.write(response);
  }

  #tooFarBehind(snapshot: Snapshot): boolean {
    const { changed, removed } = diffSnapshot(this.#held, snapshot);
    const differences = changed.length + removed.length;
    return differences > DELTA_LIMIT && differences > snapshot.resources.size / 2;
  }

  #fail(err: unknown): void {
    if (this.#closed) return;
    const invalid = HubpoError.is(err, 'BAD_REQUEST');
    this.#ctx.logger.warn({ nodeId: this.#node?.id, err: errorMessage(err) }, 'gateway stream failed');
    try {
      this.#call.emit('error', {
        code: invalid ? GrpcStatus.INVALID_ARGUMENT : GrpcStatus.INTERNAL,
        details: invalid ? errorMessage(err) : 'internal error',
      });
    } catch {
      // the call is gone already
    }
    this.close();
  }
}
