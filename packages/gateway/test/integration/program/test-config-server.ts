import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import {
  discoveryRequestKind,
  discoveryResponseFor,
  loadConfigDiscovery,
  snapshotVersions,
} from '@hubpo/snapshot';
import type { DiscoveryRequest, DiscoveryResponse, Snapshot } from '@hubpo/snapshot';

type Stream = ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;

/** One request as the server saw it, with the stream it came on (1, 2, ... in order of opening). */
export interface SeenRequest {
  readonly stream: number;
  readonly kind: ReturnType<typeof discoveryRequestKind>;
  readonly request: DiscoveryRequest;
}

interface StreamState {
  readonly id: number;
  readonly call: Stream;
  /** Versions the gateway holds as far as this stream knows (initial versions, then each ACK). */
  held: ReadonlyMap<string, string>;
  heldRevision: number;
  readonly inFlight: Map<string, Snapshot>;
}

/**
 * A minimal ConfigDiscovery control plane for gateway tests, built from the real service
 * definition: answers a new stream with the current snapshot (a delta against the versions the
 * gateway says it holds, full when it holds nothing), pushes every `publish` to open streams as a
 * delta against their last ACK, and records every request it receives.
 */
export class TestConfigServer {
  readonly requests: SeenRequest[] = [];
  readonly sent: DiscoveryResponse[] = [];
  #server: Server;
  #port: number;
  readonly #credentials: ServerCredentials;
  #current: Snapshot | undefined;
  #streams = new Set<StreamState>();
  #streamCount = 0;
  #nonce = 0;

  private constructor(server: Server, port: number, credentials: ServerCredentials) {
    this.#server = server;
    this.#port = port;
    this.#credentials = credentials;
  }

  /** Starts on 127.0.0.1 (a free port unless `port` is given), plaintext unless `credentials` say TLS. */
  static async start(
    port = 0,
    credentials: ServerCredentials = ServerCredentials.createInsecure(),
  ): Promise<TestConfigServer> {
    const holder = new TestConfigServer(new Server(), port, credentials);
    await holder.#listen();
    return holder;
  }

  get target(): string {
    return `127.0.0.1:${this.#port}`;
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  /** Makes `snapshot` current and sends it to every open stream. */
  publish(snapshot: Snapshot): void {
    this.#current = snapshot;
    for (const stream of this.#streams) this.#send(stream, snapshot);
  }

  /** Requests of one kind, in arrival order. */
  seen(kind: SeenRequest['kind']): SeenRequest[] {
    return this.requests.filter((r) => r.kind === kind);
  }

  /** Polls until `predicate` holds over the recorded requests. */
  async waitFor(predicate: (requests: readonly SeenRequest[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.requests)) {
      if (Date.now() > deadline) {
        const kinds = this.requests.map((r) => `${r.stream}:${r.kind}@${r.request.revision}`).join(' ');
        throw new Error(`condition not met within ${timeoutMs} ms; requests: ${kinds}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Kills the server and every stream at once (like a crashed control plane). */
  async stop(): Promise<void> {
    this.#server.forceShutdown();
    this.#streams.clear();
  }

  /** Starts again on the same port with the same current snapshot. */
  async restart(): Promise<void> {
    this.#server = new Server();
    await this.#listen();
  }

  async #listen(): Promise<void> {
    this.#server.addService(loadConfigDiscovery().service, {
      streamConfig: (call: Stream) => this.#onStream(call),
    });
    this.#port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync(`127.0.0.1:${this.#port}`, this.#credentials, (err, port) =>
        err === null ? resolve(port) : reject(err),
      );
    });
  }

  #onStream(call: Stream): void {
    this.#streamCount += 1;
    const state: StreamState = {
      id: this.#streamCount,
      call,
      held: new Map(),
      heldRevision: 0,
      inFlight: new Map(),
    };
    this.#streams.add(state);
    call.on('data', (request: DiscoveryRequest) => this.#onRequest(state, request));
    call.on('error', () => this.#streams.delete(state));
    call.on('end', () => {
      this.#streams.delete(state);
      call.end();
    });
  }

  #onRequest(state: StreamState, request: DiscoveryRequest): void {
    const kind = discoveryRequestKind(request);
    this.requests.push({ stream: state.id, kind, request });
    if (kind === 'initial') {
      state.held = request.initialResourceVersions;
      state.heldRevision = request.revision;
      const current = this.#current;
      if (
        current !== undefined &&
        (current.hash !== request.snapshotHash || current.revision !== request.revision)
      ) {
        this.#send(state, current);
      }
    } else if (kind === 'ack') {
      const acked = state.inFlight.get(request.responseNonce);
      if (acked !== undefined && acked.hash === request.snapshotHash) {
        state.held = snapshotVersions(acked);
        state.heldRevision = acked.revision;
      }
    }
  }

  #send(state: StreamState, snapshot: Snapshot): void {
    this.#nonce += 1;
    const nonce = `n${this.#nonce}`;
    const response =
      state.held.size === 0
        ? discoveryResponseFor(snapshot, { nonce })
        : discoveryResponseFor(snapshot, { nonce, held: state.held });
    state.inFlight.set(nonce, snapshot);
    this.sent.push(response);
    state.call.write(response);
  }
}
