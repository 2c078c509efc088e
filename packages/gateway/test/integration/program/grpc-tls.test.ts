import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import type { DiscoveryNode } from '@hubpo/snapshot';
import { createTelemetry } from '@hubpo/telemetry';
import { loadGatewayConfig } from '@hubpo/gateway';
import type { GrpcClientTls } from '@hubpo/gateway';
import { pino } from 'pino';
import { Backoff } from '../../../src/config/backoff.js';
import { ConfigApplier } from '../../../src/config/config-applier.js';
import { GrpcConfigDriver } from '../../../src/config/grpc-config-driver.js';
import { RuntimeSlot } from '../../../src/config/runtime-slot.js';
import { RuntimeState, compileRuntime } from '../../../src/runtime/index.js';
import { NotReadyRuntime } from '../../../src/server/not-ready-runtime.js';
import { CLUSTER, eventually, snapshotOf } from './gateway-fixtures.js';
import { TestConfigServer } from './test-config-server.js';
import { createTestPki } from '@hubpo/testkit';
import type { TestPki } from '@hubpo/testkit';

jest.setTimeout(30_000);

const NODE: DiscoveryNode = {
  id: 'gw-tls-0',
  cluster: CLUSTER,
  cloud: '',
  region: '',
  zone: '',
  build: 'test',
  labels: new Map(),
};

/** The gateway's gRPC driver and what it applies into, without listeners. */
function startDriver(target: string, tls: GrpcClientTls | undefined) {
  const telemetry = createTelemetry({ serviceName: 'grpc-tls-test', metrics: false });
  const logger = pino({ level: 'silent' });
  const state = new RuntimeState();
  const applier = new ConfigApplier({
    cluster: CLUSTER,
    slot: new RuntimeSlot(new NotReadyRuntime()),
    state,
    compile: compileRuntime,
    lkg: undefined,
    logger,
    telemetry,
  });
  const driver = new GrpcConfigDriver({
    target,
    node: NODE,
    applier,
    backoff: new Backoff({ initialMs: 50, maxMs: 200 }),
    logger,
    heartbeatIntervalMs: 1_000,
    keepaliveTimeMs: 2_000,
    keepaliveTimeoutMs: 1_000,
    ...(tls === undefined ? {} : { tls }),
  });
  driver.start();
  return {
    driver,
    applier,
    async stop(): Promise<void> {
      await driver.stop();
      await state.close();
      await telemetry.shutdown();
    },
  };
}

describe('gRPC config driver over TLS', () => {
  let pki: TestPki;
  let controlPlane: TestConfigServer | undefined;
  let running: ReturnType<typeof startDriver> | undefined;

  beforeAll(async () => {
    pki = await createTestPki();
  });

  afterAll(async () => {
    await pki.remove();
  });

  afterEach(async () => {
    await running?.stop();
    running = undefined;
    await controlPlane?.stop();
    controlPlane = undefined;
  });

  const startControlPlane = async (mutual: boolean): Promise<TestConfigServer> => {
    const keyCert = { cert_chain: readFileSync(pki.serverCert), private_key: readFileSync(pki.serverKey) };
    const clientCa = mutual ? readFileSync(pki.caCert) : null;
    controlPlane = await TestConfigServer.start(0, ServerCredentials.createSsl(clientCa, [keyCert], mutual));
    controlPlane.publish(snapshotOf(3, []));
    return controlPlane;
  };

  it('receives config from a TLS control plane whose CA it trusts', async () => {
    const cp = await startControlPlane(false);
    // The certificate names 127.0.0.1 and localhost; the override is what gets checked.
    running = startDriver(cp.target, { caFile: pki.caCert, serverName: 'localhost' });
    await running.applier.waitForRevision(3, 10_000);
    expect(running.driver.status()).toMatchObject({ state: 'connected', acks: 1 });
  });

  it('refuses a control plane certificate signed by another CA, saying why', async () => {
    const cp = await startControlPlane(false);
    running = startDriver(cp.target, { caFile: pki.otherCaCert });
    const { driver } = running;
    await eventually(async () => /certificate/i.test(driver.status().lastError ?? ''), true);
    expect(driver.status().state).not.toBe('connected');
    expect(cp.requests).toEqual([]);
  });

  it('with mutual TLS, is refused without a client certificate and served with one', async () => {
    const cp = await startControlPlane(true);
    running = startDriver(cp.target, { caFile: pki.caCert });
    const { driver } = running;
    // The control plane's TLS alert, as the driver reports it on /config.
    await eventually(async () => /certificate required/i.test(driver.status().lastError ?? ''), true);
    expect(cp.requests).toEqual([]);
    expect(driver.status().state).not.toBe('connected');
    await running.stop();

    running = startDriver(cp.target, {
      caFile: pki.caCert,
      certFile: pki.clientCert,
      keyFile: pki.clientKey,
    });
    await running.applier.waitForRevision(3, 10_000);
    expect(cp.seen('initial')[0]?.request.node).toMatchObject({ id: 'gw-tls-0' });
  });

  it('reads the TLS variables, naming the one that is wrong', () => {
    const env = {
      HUBPO_CONTROL_PLANE_GRPC: 'cp.hubpo.svc:18000',
      HUBPO_CONTROL_PLANE_GRPC_CA: pki.caCert,
      HUBPO_CONTROL_PLANE_GRPC_CERT: pki.clientCert,
      HUBPO_CONTROL_PLANE_GRPC_KEY: pki.clientKey,
      HUBPO_CONTROL_PLANE_GRPC_SERVER_NAME: 'localhost',
    };
    const host = { hostname: 'h', pid: 1, cwd: '/tmp' };
    expect(loadGatewayConfig(env, host).driver).toEqual({
      kind: 'grpc',
      target: 'cp.hubpo.svc:18000',
      tls: { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey, serverName: 'localhost' },
    });
    const issues = (overrides: Record<string, string | undefined>): unknown => {
      try {
        loadGatewayConfig({ ...env, ...overrides }, host);
        return [];
      } catch (err) {
        return (err as { issues: unknown }).issues;
      }
    };
    expect(issues({ HUBPO_CONTROL_PLANE_GRPC_CA: `${pki.dir}/missing.crt` })).toEqual([
      { path: 'HUBPO_CONTROL_PLANE_GRPC_CA', message: expect.stringContaining('ENOENT') },
    ]);
    expect(issues({ HUBPO_CONTROL_PLANE_GRPC_KEY: undefined })).toEqual([
      { path: 'HUBPO_CONTROL_PLANE_GRPC_KEY', message: expect.stringContaining('set both or neither') },
    ]);
    // A certificate where the key should be: named, and the file's content is not echoed.
    const swapped = issues({ HUBPO_CONTROL_PLANE_GRPC_KEY: pki.clientCert }) as { message: string }[];
    expect(swapped).toEqual([
      { path: 'HUBPO_CONTROL_PLANE_GRPC_KEY', message: expect.stringContaining('PRIVATE KEY') },
    ]);
    expect(swapped[0]!.message).not.toContain('BEGIN');
    expect(issues({ HUBPO_CONTROL_PLANE_GRPC_CA: undefined })).toEqual([
      {
        path: 'HUBPO_CONTROL_PLANE_GRPC_CERT',
        message: expect.stringContaining('needs HUBPO_CONTROL_PLANE_GRPC_CA'),
      },
      {
        path: 'HUBPO_CONTROL_PLANE_GRPC_KEY',
        message: expect.stringContaining('needs HUBPO_CONTROL_PLANE_GRPC_CA'),
      },
      {
        path: 'HUBPO_CONTROL_PLANE_GRPC_SERVER_NAME',
        message: expect.stringContaining('needs HUBPO_CONTROL_PLANE_GRPC_CA'),
      },
    ]);
  });
});
