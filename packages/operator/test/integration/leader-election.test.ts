/**
 * Two operator replicas against Kubernetes (the fake, or KUBECONFIG's cluster) and a fake control
 * plane: one leader on the Lease, the standby idle, and a takeover when the leader stops.
 */
import type { Operator } from '@hubpo/operator';
import { FakeControlPlane } from '../support/fake-control-plane.js';
import { kubeTarget } from '../support/kube-target.js';
import type { KubeTarget } from '../support/kube-target.js';
import { conditionOf, eventually, route, startOperator } from '../support/operator-harness.js';

jest.setTimeout(90_000);

const BOOTSTRAP = 'leader-election-bootstrap-token';
let target: KubeTarget;
let cp: FakeControlPlane;
const operators: Operator[] = [];

beforeAll(async () => {
  target = await kubeTarget();
  cp = await FakeControlPlane.start(BOOTSTRAP);
});

afterAll(async () => {
  for (const o of operators) await o.stop();
  await cp?.stop();
  await target?.cleanup();
});

const accepted = (name: string) =>
  eventually(async () => {
    const object = await target.api.get('hubpo.io/v1alpha1', 'Route', target.namespace, name);
    return conditionOf(object, 'Accepted')?.status === 'True' ? object : undefined;
  }, `Route ${name} accepted`);

describe('leader election', () => {
  it('elects one leader of two replicas, keeps the standby idle, and fails over when the leader stops', async () => {
    const control = { url: cp.url, bootstrapToken: BOOTSTRAP };
    const [a, b] = await Promise.all([startOperator(target, control), startOperator(target, control)]);
    operators.push(a!, b!);
    await eventually(async () => a!.isLeader() || b!.isLeader(), 'a leader');
    // Longer than a lease: the standby must not take over a renewed Lease.
    await new Promise((r) => setTimeout(r, 2500));
    expect([a!.isLeader(), b!.isLeader()].filter(Boolean)).toHaveLength(1);
    const leader = a!.isLeader() ? a! : b!;
    const standby = leader === a ? b! : a!;
    expect(standby.isReady()).toBe(true);
    const standbyHealth = await fetch(`${standby.healthUrl}/readyz`);
    expect(await standbyHealth.json()).toEqual({ status: 'standby' });
    const lease = await target.api.get('coordination.k8s.io/v1', 'Lease', target.namespace, 'hubpo-operator');
    expect((lease?.['spec'] as { holderIdentity?: string }).holderIdentity).toMatch(/^operator-/);

    await target.api.create(route(target.namespace, 'before'));
    await accepted('before');
    const registrations = cp.registrations;

    const leaderIdentity = (lease?.['spec'] as { holderIdentity?: string }).holderIdentity;
    await leader.stop();
    // The leader released the Lease on stop (the standby need not wait out the lease duration):
    // it is free, or the standby holds it already.
    const released = await target.api.get(
      'coordination.k8s.io/v1',
      'Lease',
      target.namespace,
      'hubpo-operator',
    );
    expect((released?.['spec'] as { holderIdentity?: string }).holderIdentity).not.toBe(leaderIdentity);
    await eventually(async () => standby.isLeader(), 'the standby to take over');
    await target.api.create(route(target.namespace, 'after'));
    await accepted('after');
    expect(cp.get('routes', target.namespace, 'after')).toBeDefined();
    expect(cp.registrations).toBeGreaterThan(registrations);
    await standby.stop();
  });

  it('stops reconciling when another holder takes the Lease, and resumes after that holder goes quiet', async () => {
    const operator = await startOperator(target, { url: cp.url, bootstrapToken: BOOTSTRAP });
    operators.push(operator);
    await eventually(async () => operator.isLeader() && operator.isReady(), 'the operator to lead');
    // Someone else keeps renewing the Lease (a partitioned peer that won it, say).
    const microTime = () => new Date().toISOString().replace('Z', '000Z');
    let intruding = true;
    const intruder = (async () => {
      while (intruding) {
        await target.api.merge('coordination.k8s.io/v1', 'Lease', target.namespace, 'hubpo-operator', {
          spec: { holderIdentity: 'intruder', renewTime: microTime(), leaseDurationSeconds: 2 },
        });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      await eventually(async () => !operator.isLeader(), 'the operator to stop leading', 5000);
      await target.api.create(route(target.namespace, 'while-deposed'));
      await new Promise((r) => setTimeout(r, 1000));
      const untouched = await target.api.get('hubpo.io/v1alpha1', 'Route', target.namespace, 'while-deposed');
      expect(untouched?.metadata?.finalizers ?? []).toEqual([]);
      expect(cp.get('routes', target.namespace, 'while-deposed')).toBeUndefined();
    } finally {
      intruding = false;
      await intruder;
    }
    await eventually(async () => operator.isLeader(), 'the operator to lead again', 10_000);
    await accepted('while-deposed');
  });
});
