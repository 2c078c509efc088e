import { randomBytes } from 'node:crypto';
import { createLogger, createOperator, defaultOperatorConfig } from '@hubpo/operator';
import type { Operator, OperatorConfig } from '@hubpo/operator';
import type { TestObject } from '../../src/kube/testdata/test-kube-api.js';
import type { KubeTarget } from './kube-target.js';

export const API_VERSION = 'hubpo.io/v1alpha1';
export const CLUSTER = 'test';

/**
 * An operator replica against a test target and a control plane, with short timings (lease 2 s,
 * renew deadline 1.5 s, retry 200 ms). The watchdog is 5 s on the fake (bookmarks every 200 ms)
 * and 90 s on a real cluster, whose API server sends bookmarks about once a minute and ends each
 * watch after `watchTimeoutSeconds` (60 s). `HUBPO_TEST_LOG=debug` shows its logs.
 */
export function startOperator(
  target: KubeTarget,
  controlPlane: { readonly url: string; readonly bootstrapToken: string },
  overrides: Partial<OperatorConfig> = {},
): Promise<Operator> {
  const level = process.env['HUBPO_TEST_LOG'] ?? 'silent';
  return createOperator(
    defaultOperatorConfig({
      controlPlaneUrl: controlPlane.url,
      bootstrapToken: controlPlane.bootstrapToken,
      cluster: CLUSTER,
      cloud: 'test-cloud',
      region: 'test-1',
      kubeconfig: { yaml: target.kubeconfig },
      leaseNamespace: target.namespace,
      identity: `operator-${randomBytes(3).toString('hex')}`,
      healthAddr: '127.0.0.1:0',
      watchNamespaces: [target.namespace],
      leaseDurationMs: 2000,
      renewDeadlineMs: 1500,
      retryPeriodMs: 200,
      heartbeatMs: 500,
      statusWaitSeconds: 5,
      watchdogMs: target.fake === undefined ? 90_000 : 5000,
      watchTimeoutSeconds: 60,
      backoffInitialMs: 50,
      backoffMaxMs: 1000,
      resyncMs: 0,
      logLevel: level,
      ...overrides,
    }),
    { logger: createLogger(level) },
  );
}

/** Polls `probe` until it returns something other than undefined/false, or fails after `ms`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime?: string;
}

export function conditionOf(object: TestObject | undefined, type: string): Condition | undefined {
  const status = object?.['status'] as { conditions?: Condition[] } | undefined;
  return status?.conditions?.find((c) => c.type === type);
}

// ---- factories: fresh objects every call ----

type Spec = Record<string, unknown>;

export function resource(kind: string, namespace: string, name: string, spec: Spec): TestObject {
  return { apiVersion: API_VERSION, kind, metadata: { name, namespace }, spec };
}

export function route(namespace: string, name: string, spec: Spec = {}): TestObject {
  return resource('Route', namespace, name, {
    hostnames: ['shop.example.com'],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: `/${name}` } }],
        backends: [{ url: 'http://orders.internal:8080' }],
      },
    ],
    ...spec,
  });
}

export function aiModel(namespace: string, name: string, spec: Spec = {}): TestObject {
  return resource('AIModel', namespace, name, { targets: [{ provider: 'mock', model: 'mock-1' }], ...spec });
}

export function promptTemplate(namespace: string, name: string, spec: Spec = {}): TestObject {
  return resource('PromptTemplate', namespace, name, {
    model: 'chat',
    messages: [{ role: 'user', content: 'Summarize {{text}}' }],
    variables: [{ name: 'text', required: true }],
    ...spec,
  });
}

export function consumer(namespace: string, name: string, spec: Spec = {}): TestObject {
  return resource('Consumer', namespace, name, { displayName: `Team ${name}`, ...spec });
}

export function policy(namespace: string, name: string, target: string, spec: Spec = {}): TestObject {
  return resource('Policy', namespace, name, {
    targetRefs: [{ kind: 'Route', name: target }],
    rateLimit: { requests: 10, per: 'second' },
    ...spec,
  });
}

export function secret(
  namespace: string,
  name: string,
  data: Record<string, string>,
  annotations: Record<string, string> = {},
): TestObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, annotations },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}
