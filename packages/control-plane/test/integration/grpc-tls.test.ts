import { readFileSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import type { ChannelCredentials, StatusObject } from '@grpc/grpc-js';
import { initialDiscoveryRequest, loadConfigDiscovery } from '@hubpo/snapshot';
import type { DiscoveryNode, DiscoveryResponse } from '@hubpo/snapshot';
import { configFromEnv } from '../../src/control-plane-config.js';
import type { GrpcTlsFiles } from '../../src/control-plane-config.js';
import type { GrpcConfigServer } from '../../src/distribution/grpc-server.js';
import { LogSink, transportGrpcServer } from './harness.js';
import { createTestPki } from '@hubpo/testkit';
import type { TestPki } from '@hubpo/testkit';

jest.setTimeout(30_000);

const NODE: DiscoveryNode = {
  id: 'gw-tls',
  cluster: 'local',
  cloud: '',
  region: '',
  zone: '',
  build: 'test',
  labels: new Map(),
};

async function startServer(address: string, tls: GrpcTlsFiles | undefined, logs = new LogSink()) {
  const server = transportGrpcServer(address, logs, tls === undefined ? {} : { tls });
  await server.start();
  return { server, logs };
}

/** Opens a ConfigDiscovery stream and resolves with the first response's revision, or the error status. */
function firstRevision(address: string, channel: ChannelCredentials): Promise<number | StatusObject> {
  const { Client } = loadConfigDiscovery();
  const client = new Client(address, channel, { 'grpc.ssl_target_name_override': 'localhost' });
  return new Promise((resolve) => {
    const call = client.streamConfig();
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

describe('gRPC ConfigDiscovery server TLS', () => {
  let pki: TestPki;
  const servers: GrpcConfigServer[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
  });

  afterAll(async () => {
    await pki.remove();
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
  });

  const serve = async (tls: GrpcTlsFiles | undefined, address = '127.0.0.1:0') => {
    const started = await startServer(address, tls);
    servers.push(started.server);
    return started;
  };
  const files = (mutual: boolean): GrpcTlsFiles => ({
    certFile: pki.serverCert,
    keyFile: pki.serverKey,
    ...(mutual ? { clientCaFile: pki.caCert } : {}),
  });
  const trusting = (caFile: string): ChannelCredentials => credentials.createSsl(readFileSync(caFile));
  const withClientCert = (): ChannelCredentials =>
    credentials.createSsl(
      readFileSync(pki.caCert),
      readFileSync(pki.clientKey),
      readFileSync(pki.clientCert),
    );

  it('serves gateways that trust its CA', async () => {
    const { server, logs } = await serve(files(false));
    expect(await firstRevision(server.address, trusting(pki.caCert))).toBe(7);
    expect(logs.lines.find((l) => l['msg'] === 'gRPC ConfigDiscovery listening')).toMatchObject({
      tls: 'on',
    });
  });

  it('fails the handshake of a client trusting another CA, and of a plaintext client', async () => {
    const { server } = await serve(files(false));
    expect(await firstRevision(server.address, trusting(pki.otherCaCert))).toMatchObject({
      code: 14,
      details: expect.stringMatching(/unable to verify the first certificate/),
    });
    expect(await firstRevision(server.address, credentials.createInsecure())).toMatchObject({ code: 14 });
  });

  it('with a client CA, refuses a gateway without a client certificate and serves one with it', async () => {
    const { server, logs } = await serve(files(true));
    expect(await firstRevision(server.address, trusting(pki.caCert))).toMatchObject({
      code: 14,
      details: expect.stringMatching(/certificate required/),
    });
    expect(await firstRevision(server.address, withClientCert())).toBe(7);
    expect(logs.lines.find((l) => l['msg'] === 'gRPC ConfigDiscovery listening')).toMatchObject({
      tls: 'mutual',
    });
  });

  it('warns when plaintext binds beyond loopback, not on loopback', async () => {
    const warned = (logs: LogSink): boolean =>
      logs.lines.some((l) => l['level'] === 40 && String(l['msg']).includes('plaintext'));
    const loopback = await serve(undefined);
    expect(warned(loopback.logs)).toBe(false);
    // A documentation address (RFC 5737) this machine does not have: the warning comes before
    // the bind, which then fails, so no test ever listens beyond loopback.
    const logs = new LogSink();
    await expect(startServer('192.0.2.1:0', undefined, logs)).rejects.toThrow(/cannot listen for gRPC/);
    expect(warned(logs)).toBe(true);
  });

  it('reads HUBPO_GRPC_TLS_* and names the variable that is wrong', () => {
    const base = { HUBPO_ADMIN_TOKEN: 'token-0123456789' };
    const tls = {
      HUBPO_GRPC_TLS_CERT: pki.serverCert,
      HUBPO_GRPC_TLS_KEY: pki.serverKey,
      HUBPO_GRPC_TLS_CLIENT_CA: pki.caCert,
    };
    expect(configFromEnv({ ...base, ...tls }).grpcTls).toEqual(files(true));
    expect(configFromEnv(base).grpcTls).toBeUndefined();
    const fails = (env: Record<string, string>): string => {
      try {
        configFromEnv({ ...base, ...env });
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(fails({ HUBPO_GRPC_TLS_CERT: pki.serverCert })).toMatch(/^HUBPO_GRPC_TLS_KEY is required/);
    expect(fails({ HUBPO_GRPC_TLS_CLIENT_CA: pki.caCert })).toMatch(/^HUBPO_GRPC_TLS_CLIENT_CA needs/);
    expect(fails({ ...tls, HUBPO_GRPC_TLS_CERT: `${pki.dir}/nope.crt` })).toMatch(
      /^HUBPO_GRPC_TLS_CERT: cannot read .*ENOENT/,
    );
    // The client's key with the server's certificate: refused, and the key is not echoed.
    const mismatch = fails({ ...tls, HUBPO_GRPC_TLS_KEY: pki.clientKey });
    expect(mismatch).toMatch(/^HUBPO_GRPC_TLS_KEY does not match/);
    expect(mismatch).not.toContain('BEGIN');
  });
});
