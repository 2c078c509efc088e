import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubpoError } from '@hubpo/core';
import { loadGatewayConfig, parseHostPort, redactUrl } from './gateway-config.js';

const host = { hostname: 'laptop.local', pid: 4242, cwd: '/work/app' };

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadGatewayConfig(env, host);
  } catch (err) {
    if (HubpoError.is(err, 'VALIDATION')) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('loadGatewayConfig', () => {
  it('defaults to a loopback dev gateway of cluster "local"', () => {
    const config = loadGatewayConfig({ HUBPO_CONTROL_PLANE_GRPC: '127.0.0.1:18000' }, host);
    expect(config).toMatchObject({
      nodeId: 'laptop.local-4242',
      cluster: 'local',
      listen: { host: '127.0.0.1', port: 8080 },
      admin: { host: '127.0.0.1', port: 9091 },
      driver: { kind: 'grpc', target: '127.0.0.1:18000' },
      dataDir: '/work/app/.hubpo/gateway-local',
      logLevel: 'info',
    });
  });

  it('binds every interface inside Kubernetes', () => {
    const config = loadGatewayConfig(
      { KUBERNETES_SERVICE_HOST: '10.0.0.1', HUBPO_CONFIG_DRIVER: 'nats', NATS_URL: 'nats://nats:4222' },
      host,
    );
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.admin).toEqual({ host: '0.0.0.0', port: 9091 });
    expect(config.driver).toEqual({ kind: 'nats', url: 'nats://nats:4222' });
  });

  it('reads every variable', () => {
    const config = loadGatewayConfig(
      {
        HUBPO_NODE_ID: 'gw-0',
        HUBPO_CLUSTER: 'eu-1',
        HUBPO_CLOUD: 'aws',
        HUBPO_REGION: 'eu-west-1',
        HUBPO_LISTEN_ADDR: '[::]:8443',
        HUBPO_ADMIN_ADDR: '127.0.0.1:0',
        HUBPO_CONFIG_DRIVER: 'grpc',
        HUBPO_CONTROL_PLANE_GRPC: 'dns:///control-plane.hubpo:18000',
        HUBPO_DATA_DIR: '/var/lib/hubpo',
        HUBPO_LOG_LEVEL: 'DEBUG',
      },
      host,
    );
    expect(config).toMatchObject({
      nodeId: 'gw-0',
      cluster: 'eu-1',
      cloud: 'aws',
      region: 'eu-west-1',
      listen: { host: '::', port: 8443 },
      admin: { host: '127.0.0.1', port: 0 },
      driver: { kind: 'grpc', target: 'dns:///control-plane.hubpo:18000' },
      dataDir: '/var/lib/hubpo',
      logLevel: 'debug',
    });
  });

  it('reports every problem at once, naming the variable', () => {
    const issues = issuesOf({
      HUBPO_CLUSTER: 'East_1',
      HUBPO_LISTEN_ADDR: '8080',
      HUBPO_ADMIN_ADDR: 'localhost:70000',
      HUBPO_CONFIG_DRIVER: 'grpc',
      HUBPO_LOG_LEVEL: 'loud',
    });
    expect(issues).toEqual([
      expect.stringMatching(/^HUBPO_CLUSTER: "East_1" must be a DNS label/),
      expect.stringMatching(/^HUBPO_LISTEN_ADDR: "8080" is not host:port/),
      expect.stringMatching(/^HUBPO_ADMIN_ADDR: "localhost:70000" is not host:port/),
      expect.stringMatching(/^HUBPO_CONTROL_PLANE_GRPC: required with HUBPO_CONFIG_DRIVER=grpc/),
      expect.stringMatching(/^HUBPO_LOG_LEVEL: "loud" is not one of/),
    ]);
  });

  it('rejects an unknown driver, a bad NATS URL and one port for both listeners', () => {
    expect(issuesOf({ HUBPO_CONFIG_DRIVER: 'kafka' })).toEqual([
      expect.stringMatching(/^HUBPO_CONFIG_DRIVER: "kafka"/),
    ]);
    expect(issuesOf({ HUBPO_CONFIG_DRIVER: 'nats', NATS_URL: 'http://user:secret@nats:4222' })).toEqual([
      'NATS_URL: "http://***@nats:4222" is not a nats:// or tls:// URL or host:port',
    ]);
    expect(
      issuesOf({
        HUBPO_CONTROL_PLANE_GRPC: 'cp:1',
        HUBPO_LISTEN_ADDR: '127.0.0.1:9000',
        HUBPO_ADMIN_ADDR: '0.0.0.0:9000',
      }),
    ).toEqual(["HUBPO_ADMIN_ADDR: port 9000 is also HUBPO_LISTEN_ADDR's"]);
  });
});

describe('loadGatewayConfig: HUBPO_DATAPLANE_KEY', () => {
  it('reads a base64 32-byte key, and refuses anything else without echoing it', () => {
    const key = Buffer.alloc(32, 7);
    const config = loadGatewayConfig(
      { HUBPO_CONTROL_PLANE_GRPC: '127.0.0.1:18000', HUBPO_DATAPLANE_KEY: key.toString('base64') },
      host,
    );
    expect(config.dataplaneKey?.equals(key)).toBe(true);
    expect(
      loadGatewayConfig({ HUBPO_CONTROL_PLANE_GRPC: '127.0.0.1:18000' }, host).dataplaneKey,
    ).toBeUndefined();
    const issues = issuesOf({ HUBPO_CONTROL_PLANE_GRPC: '127.0.0.1:18000', HUBPO_DATAPLANE_KEY: 'c2hvcnQ=' });
    expect(issues).toEqual([expect.stringMatching(/^HUBPO_DATAPLANE_KEY: must be 32 random bytes/)]);
    expect(issues[0]).not.toContain('c2hvcnQ=');
  });
});

describe('loadGatewayConfig: HUBPO_GRPC_TOKEN', () => {
  const GRPC = { HUBPO_CONTROL_PLANE_GRPC: '127.0.0.1:18000' };
  const TOKEN = 'grpc-token-0123456789';

  it('puts the token on the gRPC driver, from the variable or a Secret file (trailing newline trimmed)', () => {
    expect(loadGatewayConfig({ ...GRPC, HUBPO_GRPC_TOKEN: TOKEN }, host).driver).toEqual({
      kind: 'grpc',
      target: '127.0.0.1:18000',
      token: TOKEN,
    });
    expect(loadGatewayConfig(GRPC, host).driver).not.toHaveProperty('token');
    const dir = mkdtempSync(join(tmpdir(), 'hubpo-gw-config-'));
    try {
      const file = join(dir, 'grpc-token');
      writeFileSync(file, `${TOKEN}\n`);
      expect(loadGatewayConfig({ ...GRPC, HUBPO_GRPC_TOKEN_FILE: file }, host).driver).toMatchObject({
        token: TOKEN,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a short token and both variables as issues naming the variable, never the token', () => {
    const short = issuesOf({ ...GRPC, HUBPO_GRPC_TOKEN: 'short-token' });
    expect(short).toEqual([expect.stringMatching(/^HUBPO_GRPC_TOKEN: .*at least 16 characters/)]);
    expect(short[0]).not.toContain('short-token');
    expect(issuesOf({ ...GRPC, HUBPO_GRPC_TOKEN: TOKEN, HUBPO_GRPC_TOKEN_FILE: '/run/token' })).toEqual([
      expect.stringMatching(/^HUBPO_GRPC_TOKEN_FILE: .*not both/),
    ]);
  });
});

describe('parseHostPort / redactUrl', () => {
  it('parses IPv4, names and bracketed IPv6', () => {
    expect(parseHostPort('0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseHostPort('gateway.local:1')).toEqual({ host: 'gateway.local', port: 1 });
    expect(parseHostPort('[::1]:9091')).toEqual({ host: '::1', port: 9091 });
    expect(parseHostPort('::1:9091')).toBeUndefined();
    expect(parseHostPort('host:')).toBeUndefined();
  });

  it('removes user info from every URL of a list', () => {
    expect(redactUrl('nats://a:b@n1:4222,tls://tok@n2:4222,n3:4222')).toBe(
      'nats://***@n1:4222,tls://***@n2:4222,n3:4222',
    );
  });
});
