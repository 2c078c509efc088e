/**
 * Fault injection on the watch stream. Always runs against the fake API server (even when
 * KUBECONFIG is set): a real cluster cannot be made to break, expire or stall its watches.
 */
import type { Operator } from '@hubpo/operator';
import { FakeControlPlane } from '../support/fake-control-plane.js';
import { kubeTarget } from '../support/kube-target.js';
import type { KubeTarget } from '../support/kube-target.js';
import { API_VERSION, conditionOf, eventually, route, startOperator } from '../support/operator-harness.js';

jest.setTimeout(90_000);

const BOOTSTRAP = 'watch-faults-bootstrap-token';
let target: KubeTarget;
let cp: FakeControlPlane;
let operator: Operator;
let ns: string;

beforeAll(async () => {
  target = await kubeTarget({ fake: true });
  ns = target.namespace;
  cp = await FakeControlPlane.start(BOOTSTRAP);
  operator = await startOperator(target, { url: cp.url, bootstrapToken: BOOTSTRAP }, { watchdogMs: 1000 });
  await eventually(async () => operator.isReady() && operator.isLeader(), 'the operator to be ready');
});

afterAll(async () => {
  await operator?.stop();
  await cp?.stop();
  await target?.cleanup();
});

const fake = () => {
  if (target.fake === undefined) throw new Error('fault injection needs the fake API server');
  return target.fake;
};

const held = (name: string, generation: number) =>
  eventually(
    async () => cp.get('routes', ns, name)?.generation === generation,
    `${name} at generation ${generation} on the control plane`,
  );

const routeStats = () => operator.informerStats()['routes']!;

describe('watch faults', () => {
  it('resumes a broken watch from where it was, without losing the update made meanwhile', async () => {
    await target.api.create(route(ns, 'broken'));
    await held('broken', 1);
    const before = routeStats();
    fake().breakWatches();
    await target.api.merge(API_VERSION, 'Route', ns, 'broken', {
      spec: { hostnames: ['after-break.example.com'] },
    });
    await held('broken', 2);
    // Resumed (a new watch), not relisted, and exactly one watch open again.
    expect(routeStats().watches).toBeGreaterThan(before.watches);
    expect(routeStats().lists).toBe(before.lists);
    await eventually(async () => fake().watchCount('routes') === 1, 'one open watch on routes');
    // The control plane holds generation 2 before the operator writes the status saying so.
    await eventually(async () => {
      const object = await target.api.get(API_VERSION, 'Route', ns, 'broken');
      const accepted = conditionOf(object, 'Accepted');
      return accepted?.status === 'True' && accepted.observedGeneration === 2;
    }, 'Accepted=True at generation 2');
  });

  it('relists after 410 Gone and delivers what changed meanwhile, deletions included', async () => {
    await target.api.create(route(ns, 'kept'));
    await target.api.create(route(ns, 'doomed'));
    await held('kept', 1);
    await held('doomed', 1);
    const before = routeStats();
    // Hold the events, change things, expire the history, then break the watch: the operator's
    // next watch resumes from a resourceVersion that is gone (410) and must relist.
    fake().stallWatches(1500);
    await target.api.merge(API_VERSION, 'Route', ns, 'kept', {
      spec: { hostnames: ['after-410.example.com'] },
    });
    await target.api.delete(API_VERSION, 'Route', ns, 'doomed');
    fake().compactHistory();
    fake().breakWatches();
    await held('kept', 2);
    await eventually(
      async () => cp.get('routes', ns, 'doomed') === undefined,
      'doomed to be deleted on the control plane',
    );
    await eventually(
      async () => (await target.api.get(API_VERSION, 'Route', ns, 'doomed')) === undefined,
      'doomed to be gone',
    );
    expect(routeStats().expired).toBeGreaterThan(before.expired);
    expect(routeStats().lists).toBeGreaterThan(before.lists);
  });

  it('restarts a watch that went silent (no events, no bookmarks) and still delivers the held update', async () => {
    await target.api.create(route(ns, 'stalled'));
    await held('stalled', 1);
    const before = routeStats();
    fake().stallWatches(3000);
    await target.api.merge(API_VERSION, 'Route', ns, 'stalled', {
      spec: { hostnames: ['after-stall.example.com'] },
    });
    // The watchdog (1 s) restarts the silent watch before the stall ends.
    await eventually(
      async () => routeStats().stalled > before.stalled,
      'the watchdog to restart the watch',
      2900,
    );
    await held('stalled', 2);
  });
});
