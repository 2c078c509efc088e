import { Server, ServerCredentials, credentials } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import {
  ackDiscoveryRequest,
  applyDiscoveryResponse,
  buildSnapshot,
  discoveryRequestKind,
  discoveryResponseFor,
  initialDiscoveryRequest,
  loadConfigDiscovery,
  snapshotVersions,
} from '@hubpo/snapshot';
import type { DiscoveryRequest, DiscoveryResponse, Snapshot } from '@hubpo/snapshot';
import { bigObject, routes, waitFor } from './helpers.js';

jest.setTimeout(60_000);

/** A loopback ConfigDiscovery server that answers each initial request with `snapshot`. */
async function startServer(snapshot: () => Snapshot, received: DiscoveryRequest[]) {
  const { service } = loadConfigDiscovery();
  const server = new Server();
  let nonce = 0;
  server.addService(service, {
    streamConfig: (call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
      call.on('data', (request: DiscoveryRequest) => {
        received.push(request);
        if (discoveryRequestKind(request) !== 'initial') return;
        const held = request.initialResourceVersions.size > 0 ? request.initialResourceVersions : undefined;
        nonce += 1;
        call.write(discoveryResponseFor(snapshot(), { nonce: `n${nonce}`, ...(held ? { held } : {}) }));
      });
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { port, stop: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}

const node = () => ({
  id: 'gw-1',
  cluster: 'prod',
  cloud: 'aws',
  region: 'eu-west-1',
  zone: 'a',
  build: 'test',
  labels: new Map([['tier', 'edge']]),
});

/** One stream: send the initial request, apply the first response, ACK it, close. */
async function syncOnce(address: string, held?: Snapshot) {
  const { Client } = loadConfigDiscovery();
  const client = new Client(address, credentials.createInsecure());
  try {
    const call = client.streamConfig();
    const response = new Promise<DiscoveryResponse>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.write(initialDiscoveryRequest(node(), held));
    const first = await response;
    const applied = applyDiscoveryResponse(held, first);
    call.write(ackDiscoveryRequest(first.nonce, applied));
    call.end();
    await new Promise<void>((resolve) =>
      call
        .on('end', resolve)
        .on('error', () => resolve())
        .resume(),
    );
    return { first, applied };
  } finally {
    client.close();
  }
}

describe('ConfigDiscovery over gRPC', () => {
  it('streams a full multi-MiB snapshot to a new gateway and a delta after a reconnect', async () => {
    let current = buildSnapshot('prod', 1, [bigObject('huge', 6 * 1024 * 1024), ...routes(100)]);
    const received: DiscoveryRequest[] = [];
    const server = await startServer(() => current, received);
    const address = `127.0.0.1:${server.port}`;
    try {
      const cold = await syncOnce(address);
      expect(cold.first.full).toBe(true);
      expect(cold.applied.hash).toBe(current.hash);
      await waitFor(() => received.length === 2, 5_000, 'initial request and ACK');
      expect(received[0]!.node).toEqual(node());
      expect(discoveryRequestKind(received[1]!)).toBe('ack');
      expect(received[1]).toMatchObject({
        revision: 1,
        snapshotHash: current.hash,
        responseNonce: cold.first.nonce,
      });

      const objects = [bigObject('huge', 6 * 1024 * 1024), ...routes(100)];
      objects[5] = { ...objects[5]!, value: { changed: true } };
      current = buildSnapshot('prod', 2, objects.slice(0, 100));
      const warm = await syncOnce(address, cold.applied);
      expect(received[2]!.initialResourceVersions).toEqual(snapshotVersions(cold.applied));
      expect(warm.first.full).toBe(false);
      expect(warm.first.resources).toHaveLength(1);
      expect(warm.first.removed).toEqual(['Route/ns-9/route.99']);
      expect(warm.applied.hash).toBe(current.hash);
    } finally {
      await server.stop();
    }
  });
});
