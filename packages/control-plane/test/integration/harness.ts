import { Writable } from 'node:stream';
import { API_VERSION } from '@hubpo/api';
import { startPostgres } from '@hubpo/testkit';
import type { PostgresProcess } from '@hubpo/testkit';
import pg from 'pg';
import { createControlPlane, createLogger, defaultConfig } from '@hubpo/control-plane';
import type { ControlPlane, ControlPlaneConfig, ControlPlaneHooks } from '@hubpo/control-plane';
import { buildSnapshot } from '@hubpo/snapshot';
import { GrpcConfigServer } from '../../src/distribution/grpc-server.js';
import type { GrpcServerOptions } from '../../src/distribution/grpc-server.js';
import { PublishedSnapshots } from '../../src/pipeline/published-snapshots.js';

export const TOKEN = 'test-admin-token-0123456789';

/** Log lines the control plane wrote (JSON objects), to assert what was and was not logged. */
export class LogSink extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() !== '') this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  }
  text(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }
}

export interface Harness {
  readonly cp: ControlPlane;
  readonly databaseUrl: string;
  readonly logs: LogSink;
  /** Calls the admin API with the token (unless `headers.authorization` is given). */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** One query on the control plane's database. */
  query<T extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // Tests read into responses freely.
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

let postgres: PostgresProcess | undefined;

/** One Postgres server per test file (call in beforeAll / afterAll). */
export async function startTestPostgres(): Promise<void> {
  postgres = await startPostgres();
}

export async function stopTestPostgres(): Promise<void> {
  await postgres?.stop();
  postgres = undefined;
}

/** A control plane on a fresh database, on free loopback ports. */
export async function startHarness(
  overrides: Partial<ControlPlaneConfig> = {},
  hooks: ControlPlaneHooks = {},
): Promise<Harness> {
  if (postgres === undefined) throw new Error('call startTestPostgres() in beforeAll');
  const databaseUrl = await postgres.createDatabase();
  const logs = new LogSink();
  const config = defaultConfig({
    adminToken: TOKEN,
    databaseUrl,
    adminAddr: '127.0.0.1:0',
    grpcAddr: '127.0.0.1:0',
    debounceMs: 15,
    maxWaitMs: 500,
    logLevel: 'debug',
    resyncMs: 0,
    ...overrides,
  });
  const cp = await createControlPlane(config, { logger: createLogger('debug', logs), ...hooks });
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // pool.end() resolves before sockets close; Postgres stopping right after must not crash the test.
  pool.on('error', () => undefined);
  return {
    cp,
    databaseUrl,
    logs,
    api: (method, path, body, headers = {}) => call(cp.adminUrl, method, path, body, headers),
    query: async <T extends Record<string, unknown>>(text: string, values: unknown[] = []) =>
      (await pool.query<T>(text, values)).rows,
    stop: async () => {
      await cp.stop();
      await pool.end();
    },
  };
}

async function call(
  base: string,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<ApiResponse> {
  const init: RequestInit = {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined
        ? {}
        : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  };
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON (metrics)
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---- fixtures: one factory per kind, fresh objects every call ----

type Obj = Record<string, unknown>;

export function route(name: string, spec: Obj = {}, metadata: Obj = {}): Obj {
  return {
    apiVersion: API_VERSION,
    kind: 'Route',
    metadata: { name, ...metadata },
    spec: {
      hostnames: ['api.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: `/${name}` } }],
          backends: [{ url: 'http://127.0.0.1:9999' }],
        },
      ],
      ...spec,
    },
  };
}

export function aiModel(name: string, spec: Obj = {}): Obj {
  return {
    apiVersion: API_VERSION,
    kind: 'AIModel',
    metadata: { name },
    spec: { targets: [{ provider: 'mock', model: 'mock-1' }], ...spec },
  };
}

export function promptTemplate(name: string, spec: Obj = {}): Obj {
  return {
    apiVersion: API_VERSION,
    kind: 'PromptTemplate',
    metadata: { name },
    spec: {
      model: 'chat',
      messages: [{ role: 'user', content: 'Summarize {{text}}' }],
      variables: [{ name: 'text', required: true }],
      ...spec,
    },
  };
}

export function consumer(name: string, spec: Obj = {}): Obj {
  return {
    apiVersion: API_VERSION,
    kind: 'Consumer',
    metadata: { name },
    spec: {
      displayName: `Team ${name}`,
      apiKeys: [{ name: 'main', value: `hk_${name}_0123456789abcdef` }],
      ...spec,
    },
  };
}

export function policy(name: string, target: string, spec: Obj = {}): Obj {
  return {
    apiVersion: API_VERSION,
    kind: 'Policy',
    metadata: { name },
    spec: {
      targetRefs: [{ kind: 'Route', name: target }],
      rateLimit: { requests: 10, per: 'second' },
      ...spec,
    },
  };
}

/** Registry and cluster store stand-ins, for tests about the gRPC transport, not the bookkeeping. */
const transportRegistry = {
  connected: () => undefined,
  disconnected: () => undefined,
  seen: () => undefined,
  ack: () => undefined,
  nack: () => undefined,
} as unknown as GrpcServerOptions['registry'];
const transportClusters = { ensure: async () => false } as unknown as GrpcServerOptions['clusters'];

/**
 * A ConfigDiscovery server (not started) publishing an empty snapshot of cluster `local` at
 * `revision`, logging into `logs`; `options` adds TLS, a token and so on.
 */
export function transportGrpcServer(
  address: string,
  logs: LogSink,
  options: Partial<GrpcServerOptions> = {},
  revision = 7,
): GrpcConfigServer {
  const published = new PublishedSnapshots();
  published.publish(buildSnapshot('local', revision, []), Date.now());
  return new GrpcConfigServer({
    address,
    published,
    registry: transportRegistry,
    clusters: transportClusters,
    logger: createLogger('info', logs),
    onNewCluster: () => undefined,
    keepaliveMs: 20_000,
    keepaliveTimeoutMs: 5_000,
    ...options,
  });
}
