import { Metadata, credentials, status as GrpcStatus } from '@grpc/grpc-js';
import type { ClientOptions, StatusObject } from '@grpc/grpc-js';
import {
  grpcTokenClientInterceptor,
  initialDiscoveryRequest,
  loadConfigDiscovery,
  loadUsageReporting,
} from '@hubpo/snapshot';
import type { DiscoveryNode, DiscoveryResponse, UsageAck, UsageRecord } from '@hubpo/snapshot';
import { createTestPki } from '@hubpo/testkit';
import type { GrpcServerOptions } from '../../src/distribution/grpc-server.js';
import {
  LogSink,
  startHarness,
  startTestPostgres,
  stopTestPostgres,
  transportGrpcServer,
} from './harness.js';
import type { Harness } from './harness.js';
import { usageRecord } from './usage/usage-fixtures.js';

jest.setTimeout(30_000);

const TOKEN = 'cp-grpc-token-4f9a0c1d2e3b';
const WRONG = 'cp-grpc-token-4f9a0c1d2e3c';

const NODE: DiscoveryNode = {
  id: 'gw-token',
  cluster: 'local',
  cloud: '',
  region: '',
  zone: '',
  build: 'test',
  labels: new Map(),
};

/** Metadata with `authorization: Bearer <token>`, or none. */
function auth(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Opens ConfigDiscovery; resolves with the first response's revision, or the status that ended it. */
function firstRevision(
  address: string,
  metadata: Metadata,
  options: ClientOptions = {},
): Promise<number | StatusObject> {
  const { Client } = loadConfigDiscovery();
  const client = new Client(address, credentials.createInsecure(), options);
  return new Promise((resolve) => {
    const call = client.streamConfig(metadata);
    call.on('data', (response: DiscoveryResponse) => {
      resolve(response.revision);
      call.cancel();
    });
    call.on('error', () => undefined);
    call.on('status', (status: StatusObject) => {
      client.close();
      resolve(status);
    });
    call.write(initialDiscoveryRequest(NODE, undefined));
  });
}

/** Reports one batch; resolves with its ACK, or the status that ended the stream first. */
function report(
  address: string,
  metadata: Metadata,
  records: UsageRecord[],
): Promise<UsageAck | StatusObject> {
  const { Client } = loadUsageReporting();
  const client = new Client(address, credentials.createInsecure());
  return new Promise((resolve) => {
    const call = client.report(metadata);
    call.on('data', (ack: UsageAck) => {
      resolve(ack);
      call.end();
    });
    call.on('error', () => undefined);
    call.on('status', (status: StatusObject) => {
      client.close();
      resolve(status);
    });
    call.write({ batchId: 1, cluster: 'local', nodeId: 'gw-token', records });
  });
}

const refusedWith = (reason: RegExp) => ({
  code: GrpcStatus.UNAUTHENTICATED,
  details: expect.stringMatching(reason),
});

describe('the gRPC port with HUBPO_GRPC_TOKEN', () => {
  let h: Harness;

  beforeAll(async () => {
    await startTestPostgres();
    h = await startHarness({ grpcToken: TOKEN });
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
    await stopTestPostgres();
  }, 30_000);

  const stored = async (records: readonly UsageRecord[]): Promise<number> =>
    Number(
      (
        await h.query<{ n: string }>('select count(*) as n from usage_records where request_id = any($1)', [
          records.map((r) => r.requestId),
        ])
      )[0]!.n,
    );

  it('serves ConfigDiscovery to a caller with the token, through the client interceptor gateways use', async () => {
    const revision = await firstRevision(h.cp.grpcAddress, new Metadata(), {
      interceptors: [grpcTokenClientInterceptor(TOKEN)],
    });
    expect(typeof revision).toBe('number');
    expect(await firstRevision(h.cp.grpcAddress, auth(TOKEN))).toBe(revision);
  });

  it('refuses ConfigDiscovery without a token and with a wrong one: UNAUTHENTICATED', async () => {
    expect(await firstRevision(h.cp.grpcAddress, auth(undefined))).toMatchObject(
      refusedWith(/requires a gRPC bearer token.*HUBPO_GRPC_TOKEN/),
    );
    expect(await firstRevision(h.cp.grpcAddress, auth(WRONG))).toMatchObject(
      refusedWith(/bearer token was refused.*HUBPO_GRPC_TOKEN/),
    );
  });

  it('stores usage reported with the token and none reported without it or with a wrong one', async () => {
    const anonymous = [usageRecord()];
    const wrong = [usageRecord()];
    const good = [usageRecord(), usageRecord()];
    expect(await report(h.cp.grpcAddress, auth(undefined), anonymous)).toMatchObject(
      refusedWith(/requires a gRPC bearer token/),
    );
    expect(await report(h.cp.grpcAddress, auth(WRONG), wrong)).toMatchObject(
      refusedWith(/bearer token was refused/),
    );
    expect(await report(h.cp.grpcAddress, auth(TOKEN), good)).toEqual({
      batchId: 1,
      stored: 2,
      duplicates: 0,
      invalid: 0,
      error: '',
    });
    expect(await stored(good)).toBe(2);
    expect(await stored([...anonymous, ...wrong])).toBe(0);
  });

  it('logs refused calls as rate-limited warnings without any token, and the port as token-protected', async () => {
    for (let i = 0; i < 3; i++) await firstRevision(h.cp.grpcAddress, auth(WRONG));
    const refusals = h.logs.lines.filter((l) => String(l['msg']).startsWith('gRPC call refused'));
    // Every refusal of this file (the first: no token, on ConfigDiscovery) came within one log interval.
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({
      level: 40,
      reason: 'missing',
      method: '/hubpo.config.v1.ConfigDiscovery/StreamConfig',
      peer: expect.stringMatching(/127\.0\.0\.1/),
    });
    expect(h.logs.lines.find((l) => l['msg'] === 'gRPC ConfigDiscovery listening')).toMatchObject({
      auth: 'token',
    });
    expect(h.logs.text()).not.toContain(TOKEN);
    expect(h.logs.text()).not.toContain(WRONG);
  });
});

describe('the start-up warning of an unauthenticated gRPC port', () => {
  /** Starts on a documentation address (RFC 5737) this machine lacks: warnings come before the bind fails. */
  async function warnings(options: Partial<GrpcServerOptions>, address = '192.0.2.1:0'): Promise<string[]> {
    const logs = new LogSink();
    const server = transportGrpcServer(address, logs, options, 1);
    await server.start().then(
      () => server.stop(),
      () => undefined,
    );
    return logs.lines.filter((l) => l['level'] === 40).map((l) => String(l['msg']));
  }

  const unauthenticated = /gRPC port is unauthenticated/;

  it('warns beyond loopback with neither a token nor client certificates', async () => {
    expect(await warnings({})).toEqual(expect.arrayContaining([expect.stringMatching(unauthenticated)]));
    expect(await warnings({}, '127.0.0.1:0')).not.toEqual(
      expect.arrayContaining([expect.stringMatching(unauthenticated)]),
    );
  });

  it('does not warn with a token, nor with mutual TLS', async () => {
    expect(await warnings({ token: TOKEN })).not.toEqual(
      expect.arrayContaining([expect.stringMatching(unauthenticated)]),
    );
    const pki = await createTestPki();
    try {
      const mutual = { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert };
      expect(await warnings({ tls: mutual })).not.toEqual(
        expect.arrayContaining([expect.stringMatching(unauthenticated)]),
      );
      // Server TLS alone authenticates nobody.
      expect(await warnings({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey } })).toEqual(
        expect.arrayContaining([expect.stringMatching(unauthenticated)]),
      );
    } finally {
      await pki.remove();
    }
  });
});
