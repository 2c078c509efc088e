import { request } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSnapshot } from '@hubpo/snapshot';
import type { ConfigObject, RouteConfig, Snapshot } from '@hubpo/snapshot';
import type { ConfigDriverConfig, GatewayConfig, LogLevel } from '@hubpo/gateway';

export const CLUSTER = 'test-east';

/** A Route sending everything under `pathPrefix` to `upstream` (an echo server). */
export function proxyRoute(name: string, pathPrefix: string, upstream: string): RouteConfig {
  return {
    kind: 'route',
    id: `default/${name}`,
    generation: 1,
    createdAt: '2025-01-01T00:00:00Z',
    hostnames: [],
    rules: [
      {
        index: 0,
        name: null,
        matches: [
          { path: { type: 'PathPrefix', value: pathPrefix }, method: null, headers: [], queryParams: [] },
        ],
        action: {
          kind: 'proxy',
          backends: [{ id: upstream, url: upstream, weight: 1 }],
          loadBalancer: 'RoundRobin',
        },
        requestHeaders: null,
        responseHeaders: null,
        urlRewrite: null,
        timeouts: { requestMs: 10_000, backendRequestMs: 10_000, connectMs: 2_000 },
        retry: { attempts: 0, backoffMs: 0, codes: [] },
      },
    ],
    passiveHealth: { consecutiveFailures: 5, ejectionMs: 10_000 },
  };
}

/** A Route whose path regex cannot compile: a gateway must NACK any snapshot holding it. */
export function brokenRoute(name: string, upstream: string): RouteConfig {
  const route = proxyRoute(name, '/', upstream);
  const rule = route.rules[0]!;
  return {
    ...route,
    rules: [
      {
        ...rule,
        matches: [{ ...rule.matches[0]!, path: { type: 'RegularExpression', value: '/broken/(unclosed' } }],
      },
    ],
  };
}

/** The snapshot a control plane would publish for `objects` in the test cluster. */
export function snapshotOf(revision: number, objects: readonly ConfigObject[], cluster = CLUSTER): Snapshot {
  return buildSnapshot(
    cluster,
    revision,
    objects.map((value) => ({ kind: value.kind, name: value.id, value })),
  );
}

export function tempDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'hubpo-gateway-'));
}

/** A gateway on free loopback ports, fast reconnects and heartbeats, quiet unless HUBPO_TEST_LOG_LEVEL is set. */
export function testGatewayConfig(
  driver: ConfigDriverConfig,
  dataDir: string,
  nodeId = 'gw-test-0',
): GatewayConfig {
  return {
    nodeId,
    cluster: CLUSTER,
    region: 'test-1',
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    driver,
    dataDir,
    logLevel: (process.env['HUBPO_TEST_LOG_LEVEL'] as LogLevel | undefined) ?? 'silent',
    timeouts: {
      heartbeatIntervalMs: 200,
      reconnectInitialMs: 50,
      reconnectMaxMs: 300,
      drainTimeoutMs: 2_000,
    },
  };
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/** One request without keep-alive, so no socket outlives a test. */
export function httpRequest(url: string, method = 'GET'): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // not JSON (e.g. /metrics)
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Which echo server answered `path` through the gateway (undefined when none did). */
export async function servedBy(gatewayUrl: string, path: string): Promise<string | undefined> {
  const res = await httpRequest(`${gatewayUrl}${path}`);
  return res.status === 200 ? (res.json['server'] as string | undefined) : undefined;
}

/** Polls `probe` until it returns `expected` (deep-equal by JSON) or the time is up. */
export async function eventually<T>(probe: () => Promise<T>, expected: T, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(
    `expected ${JSON.stringify(expected)}, last saw ${JSON.stringify(last)} after ${timeoutMs} ms`,
  );
}
