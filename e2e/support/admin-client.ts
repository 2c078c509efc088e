/** A small typed client of the control plane's admin API, as a user would call it with curl. */
export interface AdminResponse<T = any> {
  readonly status: number;
  readonly body: T;
  readonly etag: string | null;
}

const PLURALS: Record<string, string> = {
  Route: 'routes',
  AIModel: 'aimodels',
  PromptTemplate: 'prompttemplates',
  Consumer: 'consumers',
  Policy: 'policies',
};

export class AdminClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<AdminResponse<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text === '' ? undefined : JSON.parse(text),
      etag: res.headers.get('etag'),
    };
  }

  path(kind: string, namespace: string, name?: string): string {
    const plural = PLURALS[kind];
    if (plural === undefined) throw new Error(`unknown kind ${kind}`);
    return `/api/v1/namespaces/${namespace}/${plural}${name === undefined ? '' : `/${name}`}`;
  }

  create(resource: any): Promise<AdminResponse> {
    return this.request('POST', this.path(resource.kind, resource.metadata.namespace ?? 'default'), resource);
  }

  get(kind: string, namespace: string, name: string): Promise<AdminResponse> {
    return this.request('GET', this.path(kind, namespace, name));
  }

  async replace(resource: any): Promise<AdminResponse> {
    const path = this.path(resource.kind, resource.metadata.namespace ?? 'default', resource.metadata.name);
    const current = await this.request('GET', path);
    return this.request('PUT', path, resource, { 'if-match': current.etag ?? '' });
  }

  delete(kind: string, namespace: string, name: string): Promise<AdminResponse> {
    return this.request('DELETE', this.path(kind, namespace, name));
  }

  /** Revision and published snapshot per cluster. */
  config(): Promise<AdminResponse> {
    return this.request('GET', '/api/v1/config');
  }

  gateways(): Promise<AdminResponse> {
    return this.request('GET', '/api/v1/gateways');
  }
}

/** Must be 2xx, else the test fails with the problem body. */
export function ok<T extends AdminResponse>(res: T): T {
  if (res.status < 200 || res.status > 299)
    throw new Error(`admin API answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res;
}
