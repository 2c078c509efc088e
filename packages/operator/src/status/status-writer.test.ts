import type { KindName } from '@hubpo/api';
import type { Informer } from '../informer/informer.js';
import { ObjectCache } from '../informer/object-cache.js';
import type { KubeClient, KubeObject } from '../kube/kube-client.js';
import { objectKey } from '../reconcile/object-key.js';
import { StatusBook } from './status-book.js';
import { StatusWriter } from './status-writer.js';

/** A status-only API server: applies merge patches to one object and counts them. */
function fakeKube(object: { current: KubeObject }): { kube: KubeClient; patches: Record<string, unknown>[] } {
  const patches: Record<string, unknown>[] = [];
  const kube = {
    patchStatus: async (_r: unknown, _ns: string, _name: string, patch: Record<string, unknown>) => {
      patches.push(patch);
      const status = { ...(object.current.status ?? {}), ...patch };
      object.current = { ...object.current, status };
      return object.current;
    },
  } as unknown as KubeClient;
  return { kube, patches };
}

function route(status?: Record<string, unknown>): KubeObject {
  return {
    metadata: { namespace: 'shop', name: 'web', uid: 'u1', generation: 1, resourceVersion: '1' },
    spec: {},
    ...(status === undefined ? {} : { status }),
  };
}

describe('StatusWriter', () => {
  it('does not restamp lastTransitionTime when the cache has not yet seen its own last patch', async () => {
    const server = { current: route() };
    const { kube, patches } = fakeKube(server);
    const cache = new ObjectCache();
    cache.set(route()); // the cache never sees the patches: the watch lags behind
    const informers = { Route: { cache } as unknown as Informer } as unknown as Record<KindName, Informer>;
    const book = new StatusBook();
    const key = objectKey('Route', 'shop', 'web');
    const writer = new StatusWriter(kube, informers, book);

    book.setLocal(key, {
      generation: 1,
      sent: true,
      conditions: [{ type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'ok' }],
    });
    await writer.write(key);
    const first = (
      server.current.status?.['conditions'] as { type: string; lastTransitionTime: string }[]
    ).find((c) => c.type === 'ResolvedRefs');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await writer.write(key);

    expect(patches).toHaveLength(1);
    const again = (
      server.current.status?.['conditions'] as { type: string; lastTransitionTime: string }[]
    ).find((c) => c.type === 'ResolvedRefs');
    expect(again?.lastTransitionTime).toBe(first?.lastTransitionTime);
  });

  it('goes back to the cache once it shows the patched status, and forgets a recreated object', async () => {
    const server = { current: route() };
    const { kube, patches } = fakeKube(server);
    const cache = new ObjectCache();
    cache.set(route());
    const informers = { Route: { cache } as unknown as Informer } as unknown as Record<KindName, Informer>;
    const book = new StatusBook();
    const key = objectKey('Route', 'shop', 'web');
    const writer = new StatusWriter(kube, informers, book);
    book.setLocal(key, {
      generation: 1,
      sent: true,
      conditions: [{ type: 'ResolvedRefs', status: 'False', reason: 'SecretNotFound', message: 'missing' }],
    });
    await writer.write(key);
    cache.set(server.current); // the watch caught up
    await writer.write(key);
    expect(patches).toHaveLength(1);

    // Deleted and created again under the same name (new uid, no status): written afresh.
    server.current = { ...route(), metadata: { ...route().metadata, uid: 'u2' } };
    cache.set(server.current);
    await writer.write(key);
    expect(patches).toHaveLength(2);
  });
});
