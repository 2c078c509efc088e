import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { kindByPlural, validateResource } from '@hubpo/api';

/** JSON as the operator sends it; tests read into it freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;

/** An object as the fake control plane holds it. */
export interface HeldObject {
  readonly kind: string;
  readonly plural: string;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  /** The body the operator PUT (secrets included, to assert what was sent). */
  readonly body: Loose;
  readonly status: Record<string, unknown>;
  readonly statusVersion: number;
}

/**
 * A small stand-in for the control plane's cluster API (ADR 0006) for operator integration tests:
 * registration with a bootstrap token (rotating cluster tokens), heartbeats, PUT/DELETE of objects
 * validated with `validateResource` (422 with issues), statuses computed at once (Accepted,
 * ResolvedRefs from what was resolved, Programmed, Distributed) and long-polled. `down` makes it
 * answer 503 to everything, as an unreachable control plane would fail.
 */
export class FakeControlPlane {
  readonly objects = new Map<string, HeldObject>();
  readonly requests: { method: string; path: string; status: number }[] = [];
  readonly #tokens = new Map<string, string>();
  readonly #waiters = new Set<() => void>();
  readonly #server: Server;
  readonly #bootstrap: string;
  #version = 0;
  registrations = 0;
  heartbeats = 0;
  down = false;
  url = '';

  private constructor(bootstrapToken: string) {
    this.#bootstrap = bootstrapToken;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(bootstrapToken: string): Promise<FakeControlPlane> {
    const cp = new FakeControlPlane(bootstrapToken);
    await new Promise<void>((resolve) => cp.#server.listen(0, '127.0.0.1', resolve));
    cp.url = `http://127.0.0.1:${(cp.#server.address() as AddressInfo).port}`;
    return cp;
  }

  get(plural: string, namespace: string, name: string): HeldObject | undefined {
    return this.objects.get(`${plural}/${namespace}/${name}`);
  }

  async stop(): Promise<void> {
    for (const wake of this.#waiters) wake();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://cp');
    const send = (status: number, body: unknown): void => {
      this.requests.push({ method: req.method ?? '', path: url.pathname, status });
      res.writeHead(status, {
        'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
      });
      res.end(JSON.stringify(body));
    };
    const body = await readBody(req);
    if (this.down) return send(503, { status: 503, code: 'HUBPO_ERR_UNAVAILABLE', detail: 'down' });
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const parts = url.pathname.replace(/^\/api\/v1\/clusters\//, '').split('/');
    if (parts[0] === 'register' && req.method === 'POST') {
      if (bearer !== this.#bootstrap) return send(401, { status: 401, detail: 'bad bootstrap token' });
      const token = randomBytes(32).toString('base64url');
      for (const [t, c] of this.#tokens) if (c === body.name) this.#tokens.delete(t);
      this.#tokens.set(token, body.name);
      this.registrations += 1;
      return send(200, { name: body.name, labels: body.labels, token });
    }
    const cluster = parts[0] ?? '';
    if (bearer === undefined || this.#tokens.get(bearer) !== cluster)
      return send(401, { status: 401, detail: 'bad token' });
    if (parts[1] === 'heartbeat') {
      this.heartbeats += 1;
      return send(200, { name: cluster, state: 'active' });
    }
    if (parts[1] === 'statuses') return send(200, await this.#statuses(url));
    if (parts[1] === 'objects' && parts.length === 5) {
      const [, , plural = '', namespace = '', name = ''] = parts;
      if (req.method === 'DELETE') return send(200, this.#delete(`${plural}/${namespace}/${name}`));
      if (req.method === 'PUT') return this.#put(plural, namespace, name, body, send);
    }
    return send(404, { status: 404, detail: 'no route' });
  }

  #put(
    plural: string,
    namespace: string,
    name: string,
    body: Loose,
    send: (s: number, b: unknown) => void,
  ): void {
    const kind = kindByPlural(plural);
    if (kind === undefined) return send(404, { status: 404, detail: 'no kind' });
    const { secrets: _secrets, ...object } = body;
    const { generation, uid: _uid, creationTimestamp: _ct, ...metadata } = object.metadata ?? {};
    const result = validateResource(kind, { ...object, metadata });
    if (!result.ok) {
      return send(422, {
        status: 422,
        code: 'HUBPO_ERR_VALIDATION',
        detail: 'the resource is invalid',
        issues: result.issues,
      });
    }
    const status = {
      observedGeneration: generation,
      conditions: [
        condition('Accepted', 'True', 'Accepted', 'accepted', generation),
        resolvedRefs(kind, body, generation),
        condition('Programmed', 'True', 'Programmed', 'in the published snapshot', generation),
        condition('Distributed', 'Unknown', 'NoGateways', 'no gateway connected', generation),
      ],
      distribution: [{ cluster: 'test', gateways: 0, acked: 0, revision: this.#version + 1 }],
    };
    this.#version += 1;
    this.objects.set(`${plural}/${namespace}/${name}`, {
      kind,
      plural,
      namespace,
      name,
      generation,
      body,
      status,
      statusVersion: this.#version,
    });
    this.#wake();
    send(200, { revision: this.#version, generation, changed: true });
  }

  #delete(key: string): { deleted: boolean; revision: number } {
    const deleted = this.objects.delete(key);
    if (deleted) this.#version += 1;
    return { deleted, revision: this.#version };
  }

  async #statuses(url: URL): Promise<{ cursor: string; items: unknown[] }> {
    const afterText = url.searchParams.get('after');
    const after = afterText === null ? undefined : Number(afterText);
    const wait = Math.min(Number(url.searchParams.get('wait') ?? 0), 30) * 1000;
    const read = () =>
      [...this.objects.values()].filter((o) => after === undefined || o.statusVersion > after);
    let items = read();
    if (items.length === 0 && wait > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, wait);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.add(done);
      });
      items = read();
    }
    const cursor = Math.max(after ?? 0, ...items.map((o) => o.statusVersion));
    return {
      cursor: String(cursor),
      items: items.map((o) => ({
        kind: o.kind,
        namespace: o.namespace,
        name: o.name,
        generation: o.generation,
        status: o.status,
      })),
    };
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}

function condition(type: string, status: string, reason: string, message: string, generation: number) {
  return {
    type,
    status,
    reason,
    message,
    observedGeneration: generation,
    lastTransitionTime: new Date().toISOString(),
  };
}

/** ResolvedRefs as the translator would find it: keys without a hash, targets without a credential. */
function resolvedRefs(kind: string, body: Loose, generation: number) {
  const missing: string[] = [];
  if (kind === 'Consumer') {
    (body['spec'].apiKeys ?? []).forEach(
      (k: Loose, i: number) => k.sha256 === undefined && missing.push(`spec.apiKeys[${i}]`),
    );
  }
  if (kind === 'AIModel') {
    const sent = new Set((body['secrets']?.credentials ?? []).map((c: Loose) => c['target']));
    body['spec'].targets.forEach(
      (t: Loose, i: number) =>
        t.credentialsRef !== undefined && !sent.has(i) && missing.push(`spec.targets[${i}]`),
    );
  }
  return missing.length === 0
    ? condition('ResolvedRefs', 'True', 'ResolvedRefs', 'all references resolved', generation)
    : condition(
        'ResolvedRefs',
        'False',
        'SecretNotFound',
        `${missing.join(', ')}: credential not available`,
        generation,
      );
}

async function readBody(req: IncomingMessage): Promise<Loose> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Loose);
}
