/**
 * The operator's Kubernetes API calls, recorded at the HTTP level through a proxy in front of the
 * fake API server, against the least-privilege list the Helm chart grants
 * (test/support/operator-permissions.ts): every request must be allowed, and every listed
 * permission must be used by this run (the list is no wider than the code needs). Fake-only: the
 * proxy speaks plain HTTP to the fake API server.
 */
import type { Operator } from '@hubpo/operator';
import { FakeControlPlane } from '../support/fake-control-plane.js';
import { kubeTarget } from '../support/kube-target.js';
import type { KubeTarget } from '../support/kube-target.js';
import { OPERATOR_PERMISSIONS, requestAttributes } from '../support/operator-permissions.js';
import type { RequestAttributes } from '../support/operator-permissions.js';
import {
  API_VERSION,
  aiModel,
  conditionOf,
  consumer,
  eventually,
  policy,
  promptTemplate,
  route,
  secret,
  startOperator,
} from '../support/operator-harness.js';
import { RecordingProxy } from '../support/recording-proxy.js';

jest.setTimeout(60_000);

const BOOTSTRAP = 'rbac-bootstrap-token';
let target: KubeTarget;
let proxy: RecordingProxy;
let cp: FakeControlPlane;
let operator: Operator | undefined;

beforeAll(async () => {
  target = await kubeTarget({ fake: true });
  proxy = await RecordingProxy.start(target.fake!.url);
  cp = await FakeControlPlane.start(BOOTSTRAP);
});

afterAll(async () => {
  await operator?.stop();
  await cp?.stop();
  await proxy?.stop();
  await target?.cleanup();
});

/** Whether the permission list allows the request, given where the operator runs and watches. */
function allowed(request: RequestAttributes, own: string, watched: readonly string[]): boolean {
  return OPERATOR_PERMISSIONS.some((p) => {
    if (p.apiGroup !== request.apiGroup || p.resource !== request.resource || !p.verbs.includes(request.verb))
      return false;
    if (p.scope === 'cluster') return request.namespace === undefined;
    if (p.scope === 'own') return request.namespace === own;
    return request.namespace !== undefined && watched.includes(request.namespace);
  });
}

describe('operator RBAC', () => {
  it('sends only requests the least-privilege permissions allow, and uses every one of them', async () => {
    const ns = target.namespace;
    const other = await target.createNamespace();
    const kubeconfig = target.kubeconfig.replace(target.fake!.url, proxy.url);
    expect(kubeconfig).toContain(proxy.url);
    operator = await startOperator(
      target,
      { url: cp.url, bootstrapToken: BOOTSTRAP },
      { kubeconfig: { yaml: kubeconfig }, watchNamespaces: [ns, other] },
    );
    await eventually(async () => operator!.isLeader() && operator!.isReady(), 'the operator to lead');

    // Every code path that talks to Kubernetes: finalizers and status (every kind; a Route deleted
    // again), Secrets (a Consumer key), a Warning event (an AIModel the control plane refuses).
    await target.api.create(secret(ns, 'keys', { key: 'hk_live_rbac_0123456789' }));
    await target.api.create(
      consumer(ns, 'app', { apiKeys: [{ name: 'k', secretRef: { name: 'keys', key: 'key' } }] }),
    );
    await target.api.create(route(ns, 'shop'));
    await target.api.create(promptTemplate(ns, 'summary'));
    await target.api.create(policy(ns, 'limits', 'shop'));
    await target.api.create(
      aiModel(ns, 'twins', {
        targets: [
          { provider: 'mock', model: 'mock-1' },
          { provider: 'mock', model: 'mock-1' },
        ],
      }),
    );
    await eventually(async () => {
      const c = conditionOf(await target.api.get(API_VERSION, 'Consumer', ns, 'app'), 'ResolvedRefs');
      return c?.status === 'True';
    }, 'the Consumer key resolved');
    await eventually(async () => {
      const events = await target.api.list('v1', 'Event', ns, 'involvedObject.name=twins');
      return events.length > 0;
    }, 'a Warning event on the refused AIModel');
    await eventually(
      async () =>
        conditionOf(await target.api.get(API_VERSION, 'Route', ns, 'shop'), 'Accepted')?.status === 'True',
      'the Route accepted',
    );
    await target.api.delete(API_VERSION, 'Route', ns, 'shop');
    await eventually(
      async () => (await target.api.get(API_VERSION, 'Route', ns, 'shop')) === undefined,
      'the Route gone (finalizer removed)',
    );
    await operator.stop();
    operator = undefined;

    const requests = proxy.requests
      .map((r) => ({ ...r, attributes: requestAttributes(r.method, r.url) }))
      .filter((r): r is typeof r & { attributes: RequestAttributes } => r.attributes !== undefined);
    const denied = requests.filter((r) => !allowed(r.attributes, ns, [ns, other]));
    expect(denied.map((r) => `${r.method} ${r.url}`)).toEqual([]);

    const used = new Set(
      requests.map((r) => `${r.attributes.apiGroup}|${r.attributes.resource}|${r.attributes.verb}`),
    );
    const unused = OPERATOR_PERMISSIONS.flatMap((p) =>
      p.verbs.map((v) => `${p.apiGroup}|${p.resource}|${v}`).filter((key) => !used.has(key)),
    );
    expect(unused).toEqual([]);
  });
});
