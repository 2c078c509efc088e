/*
 * The control plane's cluster API (ADR 0006), as the operator calls it. undici fetch: JSON
 * bodies, bearer tokens, a timeout per call; failures become ControlPlaneError with the
 * problem+json the control plane answered. An https URL is verified against the system CAs, or
 * only against `caFile` (HUBPO_CONTROL_PLANE_CA) when one is given.
 */
import { HubpoError, readPemFile } from '@hubpo/core';
import { Agent, fetch } from 'undici';
import type { Response } from 'undici';

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

export interface ControlPlaneClientOptions {
  /** Per-call timeout, except the long poll (its wait plus 15 s). */
  readonly timeoutMs?: number;
  /**
   * PEM CA bundle (`HUBPO_CONTROL_PLANE_CA`) that an https control plane's certificate must chain
   * to, instead of the system CAs. Read once, here; ignored for an http URL.
   */
  readonly caFile?: string;
}

/** TLS verification failures, reported with a hint at HUBPO_CONTROL_PLANE_CA. */
const UNTRUSTED_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export class ControlPlaneClient {
  readonly #base: string;
  readonly #timeoutMs: number;
  /** Set when a CA bundle is given for an https URL; holds pooled connections until `close`. */
  readonly #dispatcher: Agent | undefined;

  constructor(baseUrl: string, options: ControlPlaneClientOptions = {}) {
    this.#base = `${baseUrl.replace(/\/+$/, '')}/api/v1/clusters`;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    const https = /^https:/i.test(baseUrl);
    this.#dispatcher =
      https && options.caFile !== undefined
        ? new Agent({ connect: { ca: readControlPlaneCa(options.caFile) } })
        : undefined;
  }

  /** Closes the connections of this client's own CA-pinned pool (no-op without one). */
  async close(): Promise<void> {
    await this.#dispatcher?.close();
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
        ...(this.#dispatcher === undefined ? {} : { dispatcher: this.#dispatcher }),
      });
    } catch (err) {
      throw new ControlPlaneError(0, `control plane unreachable: ${describeFailure(err)}`, '', [], {
        cause: err,
      });
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

/**
 * The PEM text of the `HUBPO_CONTROL_PLANE_CA` file; BAD_REQUEST naming the variable when it
 * cannot be read or holds no certificate. The config checks it at start, the client reads it.
 */
export function readControlPlaneCa(path: string, readFile?: (path: string) => string): string {
  const read = readPemFile(path, 'CERTIFICATE', readFile);
  if ('problem' in read) throw new HubpoError('BAD_REQUEST', `HUBPO_CONTROL_PLANE_CA: ${read.problem}`);
  return read.pem;
}

/** fetch says only "fetch failed"; the reason (refused, TLS, timeout) is in its cause. */
function describeFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Duck-typed: the cause may come from another realm (node:tls errors under a test VM).
  const cause = (err as { cause?: { message?: unknown; code?: unknown } } | null)?.cause;
  if (typeof cause?.message !== 'string') return message;
  const code = typeof cause.code === 'string' ? cause.code : undefined;
  if (code !== undefined && UNTRUSTED_CERT_CODES.has(code)) {
    return `the control plane's TLS certificate is not trusted (${code}: ${cause.message}); set HUBPO_CONTROL_PLANE_CA to the CA bundle that signed it`;
  }
  return `${message}: ${code === undefined ? '' : `${code} `}${cause.message}`;
}
