import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_DEFAULTS, configFromEnv, parseAddress } from './control-plane-config.js';

describe('configFromEnv', () => {
  it('requires HUBPO_ADMIN_TOKEN with a message naming it', () => {
    expect(() => configFromEnv({})).toThrow(/HUBPO_ADMIN_TOKEN is required/);
    expect(() => configFromEnv({ HUBPO_ADMIN_TOKEN: '  ' })).toThrow(/HUBPO_ADMIN_TOKEN/);
  });

  it('applies the documented defaults', () => {
    const config = configFromEnv({ HUBPO_ADMIN_TOKEN: 't' });
    expect(config).toMatchObject({
      adminAddr: '127.0.0.1:9080',
      grpcAddr: '127.0.0.1:18000',
      cluster: 'local',
      debounceMs: 100,
      dataDir: CONFIG_DEFAULTS.dataDir,
      logLevel: 'info',
      natsReplicas: 1,
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.natsUrl).toBeUndefined();
  });

  it('reads every variable', () => {
    const config = configFromEnv({
      HUBPO_ADMIN_TOKEN: 't',
      DATABASE_URL: 'postgres://u:p@db:5432/hubpo',
      NATS_URL: 'nats://127.0.0.1:4222',
      HUBPO_ADMIN_ADDR: '0.0.0.0:8080',
      HUBPO_GRPC_ADDR: '[::1]:18001',
      HUBPO_CLUSTER: 'eu-west',
      HUBPO_DEBOUNCE_MS: '15',
      HUBPO_LOG_LEVEL: 'debug',
      HUBPO_DATA_DIR: '/var/lib/hubpo',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://u:p@db:5432/hubpo',
      natsUrl: 'nats://127.0.0.1:4222',
      adminAddr: '0.0.0.0:8080',
      grpcAddr: '[::1]:18001',
      cluster: 'eu-west',
      debounceMs: 15,
      logLevel: 'debug',
      dataDir: '/var/lib/hubpo',
    });
  });

  it.each([
    ['HUBPO_ADMIN_ADDR', 'localhost'],
    ['HUBPO_DEBOUNCE_MS', 'soon'],
    ['HUBPO_LOG_LEVEL', 'loud'],
    ['HUBPO_CLUSTER', 'EU_West'],
    ['HUBPO_NATS_REPLICAS', '0'],
    ['HUBPO_NATS_REPLICAS', '6'],
    ['HUBPO_NATS_REPLICAS', '2.5'],
    ['HUBPO_NATS_REPLICAS', 'three'],
  ])('rejects a malformed %s, naming it', (name, value) => {
    expect(() => configFromEnv({ HUBPO_ADMIN_TOKEN: 't', [name]: value })).toThrow(new RegExp(name));
  });

  it('reads HUBPO_NATS_REPLICAS from 1 to 5', () => {
    for (const replicas of [1, 3, 5]) {
      const config = configFromEnv({ HUBPO_ADMIN_TOKEN: 't', HUBPO_NATS_REPLICAS: String(replicas) });
      expect(config.natsReplicas).toBe(replicas);
    }
    expect(() => configFromEnv({ HUBPO_ADMIN_TOKEN: 't', HUBPO_NATS_REPLICAS: '7' })).toThrow(
      /HUBPO_NATS_REPLICAS must be a whole number from 1 to 5/,
    );
  });

  it('never echoes the token or database URL in errors', () => {
    try {
      configFromEnv({
        HUBPO_ADMIN_TOKEN: 'sekret-token',
        DATABASE_URL: 'postgres://u:pw@x/db',
        HUBPO_GRPC_ADDR: 'nope',
      });
    } catch (err) {
      expect(String(err)).not.toMatch(/sekret|pw@/);
      return;
    }
    throw new Error('expected an error');
  });

  it('reads the gRPC token from HUBPO_GRPC_TOKEN or HUBPO_GRPC_TOKEN_FILE (trimmed), none by default', () => {
    const token = 'grpc-token-0123456789';
    expect(configFromEnv({ HUBPO_ADMIN_TOKEN: 't' }).grpcToken).toBeUndefined();
    expect(configFromEnv({ HUBPO_ADMIN_TOKEN: 't', HUBPO_GRPC_TOKEN: token }).grpcToken).toBe(token);
    const dir = mkdtempSync(join(tmpdir(), 'hubpo-cp-config-'));
    try {
      const file = join(dir, 'grpc-token');
      writeFileSync(file, `${token}\n`);
      expect(configFromEnv({ HUBPO_ADMIN_TOKEN: 't', HUBPO_GRPC_TOKEN_FILE: file }).grpcToken).toBe(token);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a gRPC token under 16 characters at start, naming the variable, not the token', () => {
    let message = '';
    try {
      configFromEnv({ HUBPO_ADMIN_TOKEN: 't', HUBPO_GRPC_TOKEN: 'too-short-tok' });
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/HUBPO_GRPC_TOKEN: .*at least 16 characters/);
    expect(message).not.toContain('too-short-tok');
  });

  it('splits host:port', () => {
    expect(parseAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseAddress('[::1]:9080')).toEqual({ host: '::1', port: 9080 });
    expect(() => parseAddress('127.0.0.1:70000')).toThrow();
  });
});
