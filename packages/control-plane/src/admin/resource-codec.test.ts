import { API_VERSION } from '@hubpo/api';
import { HubpoError } from '@hubpo/core';
import { prepareWrite, sha256Hex } from './resource-codec.js';

const route = (overrides: Record<string, unknown> = {}) => ({
  apiVersion: API_VERSION,
  kind: 'Route',
  metadata: { name: 'orders', labels: { team: 'shop' } },
  spec: { rules: [{ backends: [{ url: 'http://orders.internal:8080' }] }] },
  ...overrides,
});

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof HubpoError && err.kind === 'VALIDATION') return [...err.issues];
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('prepareWrite', () => {
  it('turns a valid body into labels, annotations and spec, ignoring status', () => {
    const write = prepareWrite(
      'Route',
      { ...route(), status: { conditions: 'junk' } },
      { namespace: 'shop' },
    );
    expect(write.name).toBe('orders');
    expect(write.input).toEqual({ labels: { team: 'shop' }, annotations: {}, spec: route().spec });
    expect(write.resourceVersion).toBeUndefined();
  });

  it('names the field when the kind, namespace or name disagree with the URL', () => {
    expect(issuesOf(() => prepareWrite('Route', route({ kind: 'Policy' }), { namespace: 'shop' }))).toEqual([
      { path: '/kind', message: expect.stringContaining('Route') },
    ]);
    expect(
      issuesOf(() =>
        prepareWrite('Route', route({ metadata: { name: 'orders', namespace: 'other' } }), {
          namespace: 'shop',
        }),
      )[0]?.path,
    ).toBe('/metadata/namespace');
    expect(
      issuesOf(() => prepareWrite('Route', route(), { namespace: 'shop', name: 'payments' }))[0]?.path,
    ).toBe('/metadata/name');
  });

  it('reports schema issues as JSON pointers', () => {
    const issues = issuesOf(() =>
      prepareWrite('Route', route({ spec: { rules: [{ backends: [{ url: 'ftp://x' }] }] } }), {
        namespace: 'shop',
      }),
    );
    expect(issues.map((i) => i.path)).toContain('/spec/rules/0/backends/0/url');
  });

  it('replaces API key values by their SHA-256', () => {
    const key = 'hk_live_0123456789abcdef';
    const write = prepareWrite(
      'Consumer',
      {
        apiVersion: API_VERSION,
        kind: 'Consumer',
        metadata: { name: 'app' },
        spec: { apiKeys: [{ name: 'main', value: key }] },
      },
      { namespace: 'shop' },
    );
    expect(write.input.spec).toEqual({ apiKeys: [{ name: 'main', sha256: sha256Hex(key) }] });
    expect(JSON.stringify(write)).not.toContain(key);
  });

  it('reads metadata.resourceVersion for optimistic concurrency', () => {
    const body = route({ metadata: { name: 'orders', resourceVersion: '42' } });
    expect(prepareWrite('Route', body, { namespace: 'shop', name: 'orders' }).resourceVersion).toBe(42);
    expect(
      issuesOf(() =>
        prepareWrite('Route', route({ metadata: { name: 'orders', resourceVersion: 'abc' } }), {
          namespace: 'shop',
        }),
      )[0]?.path,
    ).toBe('/metadata/resourceVersion');
  });
});
