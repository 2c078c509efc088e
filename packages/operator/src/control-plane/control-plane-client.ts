/*
 * The control plane's cluster API (ADR 0006), as the operator calls it. Plain fetch: JSON
 * bodies, bearer tokens, a timeout per call; failures become ControlPlaneError with the
 * problem+json the control plane answered.
 */

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export class ControlPlaneError extends Error {
  /** HTTP status; 0 when the control plane could not be reached. */
  readonly status: number;
  /** `HUBPO_ERR_*` from the problem body, when there was one. */
  readonly code: string;
  readonly issues: readonly FieldIssue[];

  constructor(
    status: number,
    message: string,
    code = '',
    issues: readonly FieldIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ControlPlaneError';
    this.status = status;
    this.code = code;
    this.issues = issues;
  }

  /** Worth retrying: unreachable, 5xx, 429. */
  get retryable(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

export interface RegisterRequest {
  readonly name: string;
  readonly cloud?: string;
  readonly region?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly operator: Readonly<Record<string, string>>;
}

export interface PutResult {
  readonly revision: number;
  readonly generation: number;
  readonly changed: boolean;
}

export interface DeleteResult {
  readonly deleted: boolean;
  readonly revision: number;
}

export interface RemoteStatus {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly status: Readonly<Record<string, unknown>>;
}

export interface StatusPage {
  readonly cursor: string;
  readonly items: readonly RemoteStatus[];
}

export class ControlPlaneClient {
  readonly #base: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, timeoutMs = 15_000) {
    this.#base = `${baseUrl.replace(/\/+$/, '')}/api/v1/clusters`;
    this.#timeoutMs = timeoutMs;
  }

  register(bootstrapToken: string, request: RegisterRequest): Promise<{ readonly token: string }> {
    return this.#call('POST', '/register', bootstrapToken, request);
  }

  async heartbeat(
    token: string,
    cluster: string,
    operator: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#call('POST', `/${cluster}/heartbeat`, token, { operator }, signal);
  }

  putObject(
    token: string,
    cluster: string,
    path: ObjectPath,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<PutResult> {
    return this.#call('PUT', objectUrl(cluster, path), token, body, signal);
  }

  deleteObject(
    token: string,
    cluster: string,
    path: ObjectPath,
    signal?: AbortSignal,
  ): Promise<DeleteResult> {
    return this.#call('DELETE', objectUrl(cluster, path), token, undefined, signal);
  }

  /** Long poll: answers at once when something changed after `after`, else within `waitSeconds`. */
  statuses(
    token: string,
    cluster: string,
    after: string | undefined,
    waitSeconds: number,
    signal: AbortSignal,
  ): Promise<StatusPage> {
    const query = new URLSearchParams({
      wait: String(waitSeconds),
      ...(after === undefined ? {} : { after }),
    });
    return this.#call(
      'GET',
      `/${cluster}/statuses?${query.toString()}`,
      token,
      undefined,
      signal,
      (waitSeconds + 15) * 1000,
    );
  }

  async #call<T>(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    signal?: AbortSignal,
    timeoutMs = this.#timeoutMs,
  ): Promise<T> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (err) {
      throw new ControlPlaneError(
        0,
        `control plane unreachable: ${err instanceof Error ? err.message : String(err)}`,
        '',
        [],
        { cause: err },
      );
    }
    const text = await res.text().catch(() => '');
    const parsed = parseJson(text);
    if (res.ok) return parsed as T;
    const problem = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
      detail?: unknown;
      code?: unknown;
      issues?: unknown;
    };
    throw new ControlPlaneError(
      res.status,
      typeof problem.detail === 'string' ? problem.detail : `control plane answered ${res.status}`,
      typeof problem.code === 'string' ? problem.code : '',
      Array.isArray(problem.issues) ? (problem.issues as FieldIssue[]) : [],
    );
  }
}

export interface ObjectPath {
  readonly plural: string;
  readonly namespace: string;
  readonly name: string;
}

function objectUrl(cluster: string, p: ObjectPath): string {
  return `/${cluster}/objects/${p.plural}/${encodeURIComponent(p.namespace)}/${encodeURIComponent(p.name)}`;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
