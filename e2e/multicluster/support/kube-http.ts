import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const CRD_DIR = join(__dirname, '..', '..', '..', 'crds');

/**
 * A member cluster's fake API server over plain HTTP, as kubectl would talk to it (no client
 * library). Fake-only: the three-cluster journey needs three API servers, so it never runs
 * against a real cluster (the single-cluster journeys in e2e/operator do).
 */
export class KubeHttp {
  constructor(readonly url: string) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<any> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const parsed = text === '' ? undefined : JSON.parse(text);
    if (res.status === 404 && method === 'GET') return undefined;
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return parsed;
  }

  path(plural: string, namespace: string, name?: string): string {
    const base = plural === 'secrets' ? '/api/v1' : '/apis/hubpo.io/v1alpha1';
    return `${base}/namespaces/${namespace}/${plural}${name === undefined ? '' : `/${name}`}`;
  }

  create(plural: string, object: any): Promise<any> {
    return this.request('POST', this.path(plural, object.metadata.namespace), object);
  }

  get(plural: string, namespace: string, name: string): Promise<any> {
    return this.request('GET', this.path(plural, namespace, name));
  }

  merge(plural: string, namespace: string, name: string, patch: unknown): Promise<any> {
    return this.request('PATCH', this.path(plural, namespace, name), patch, 'application/merge-patch+json');
  }

  delete(plural: string, namespace: string, name: string): Promise<any> {
    return this.request('DELETE', this.path(plural, namespace, name));
  }
}

/** Applies the repo's CRDs (`crds/*.yaml`) through the API server, as `kubectl apply -f crds/` would. */
export async function installCrds(api: KubeHttp): Promise<void> {
  for (const file of readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml'))) {
    await api.request(
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      parse(readFileSync(join(CRD_DIR, file), 'utf8')),
    );
  }
}
