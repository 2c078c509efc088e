/**
 * Kubernetes API errors: every failure is a `Status` object (apiVersion v1) with a machine-readable
 * `reason` and the HTTP `code`, as the real API server renders them
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#response-status-kind).
 */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | '';

export interface StatusCause {
  readonly type?: string;
  readonly message?: string;
  readonly field?: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

export interface KubeStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: StatusReason;
  readonly details?: StatusDetails;
  readonly code: number;
}

/** What an error is about: the resource (plural) and its group, for messages and `details`. */
export interface ResourceRef {
  readonly group: string;
  readonly plural: string;
}

const REASON_BY_CODE: Readonly<Record<number, StatusReason>> = Object.freeze({
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
});

/** `widgets.example.com` for a custom resource, `configmaps` for the core group. */
export function qualifiedResource(ref: ResourceRef): string {
  return ref.group === '' ? ref.plural : `${ref.plural}.${ref.group}`;
}

function objectDetails(ref: ResourceRef, name: string): StatusDetails {
  return ref.group === '' ? { name, kind: ref.plural } : { name, group: ref.group, kind: ref.plural };
}

export class KubeStatusError extends Error {
  readonly status: KubeStatus;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'KubeStatusError';
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details === undefined ? {} : { details }),
      code,
    };
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): StatusReason {
    return this.status.reason ?? '';
  }

  /** An error for an arbitrary HTTP status (fault injection), with the reason the server uses for it. */
  static fromCode(code: number, message?: string): KubeStatusError {
    const reason = REASON_BY_CODE[code] ?? '';
    const details = code === 429 ? { retryAfterSeconds: 1 } : undefined;
    return new KubeStatusError(code, reason, message ?? `injected failure (${code})`, details);
  }

  static badRequest(message: string): KubeStatusError {
    return new KubeStatusError(400, 'BadRequest', message);
  }

  static unauthorized(): KubeStatusError {
    return new KubeStatusError(401, 'Unauthorized', 'Unauthorized');
  }

  static routeNotFound(): KubeStatusError {
    return new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource', {});
  }

  static notFound(ref: ResourceRef, name: string): KubeStatusError {
    const message = `${qualifiedResource(ref)} "${name}" not found`;
    return new KubeStatusError(404, 'NotFound', message, objectDetails(ref, name));
  }

  static alreadyExists(ref: ResourceRef, name: string): KubeStatusError {
    const message = `${qualifiedResource(ref)} "${name}" already exists`;
    return new KubeStatusError(409, 'AlreadyExists', message, objectDetails(ref, name));
  }

  static conflict(
    ref: ResourceRef,
    name: string,
    why: string,
    causes?: readonly StatusCause[],
  ): KubeStatusError {
    const message = `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${name}": ${why}`;
    const details = { ...objectDetails(ref, name), ...(causes === undefined ? {} : { causes }) };
    return new KubeStatusError(409, 'Conflict', message, details);
  }

  /** 409 with a message of its own (server-side apply conflicts). */
  static conflictMessage(ref: ResourceRef, name: string, message: string, causes: readonly StatusCause[]) {
    return new KubeStatusError(409, 'Conflict', message, { ...objectDetails(ref, name), causes });
  }

  static invalid(
    ref: ResourceRef,
    kind: string,
    name: string,
    causes: readonly StatusCause[],
  ): KubeStatusError {
    const summary = causes
      .map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')))
      .join(', ');
    const message = `${kind}${ref.group === '' ? '' : `.${ref.group}`} "${name}" is invalid: ${summary}`;
    const details = { ...objectDetails(ref, name), kind, causes };
    return new KubeStatusError(422, 'Invalid', message, details);
  }

  /** 410 for a resourceVersion older than the retained history (watch and list continuation). */
  static expired(message: string): KubeStatusError {
    return new KubeStatusError(410, 'Expired', message);
  }

  static methodNotAllowed(): KubeStatusError {
    return new KubeStatusError(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  }

  /** 403 for a create in a namespace being deleted (the NamespaceLifecycle admission plugin). */
  static namespaceTerminating(ref: ResourceRef, name: string, namespace: string): KubeStatusError {
    const message = `${qualifiedResource(ref)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`;
    return new KubeStatusError(403, 'Forbidden', message, {
      ...objectDetails(ref, name),
      causes: [
        {
          type: 'NamespaceTerminating',
          message: `namespace ${namespace} is being terminated`,
          field: 'metadata.namespace',
        },
      ],
    });
  }

  /** 403 for deleting `default`, `kube-system` or `kube-public`. */
  static immortalNamespace(ref: ResourceRef, name: string): KubeStatusError {
    const message = `${qualifiedResource(ref)} "${name}" is forbidden: this namespace may not be deleted`;
    return new KubeStatusError(403, 'Forbidden', message, objectDetails(ref, name));
  }

  static tooLarge(limit: number): KubeStatusError {
    return new KubeStatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
  }

  static unsupportedMediaType(contentType: string, accepted: readonly string[]): KubeStatusError {
    const message = `the body of the request was in an unknown format (${contentType}) - accepted media types include: ${accepted.join(', ')}`;
    return new KubeStatusError(415, 'UnsupportedMediaType', message);
  }

  static internal(message: string): KubeStatusError {
    return new KubeStatusError(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ message }],
    });
  }
}

/** The success `Status` the server returns for an immediate delete. */
export function successStatus(ref: ResourceRef, name: string, uid: string | undefined): KubeStatus {
  const details = { ...objectDetails(ref, name), ...(uid === undefined ? {} : { uid }) };
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}
