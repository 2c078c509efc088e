/*
 * The operator's whole view of the Kubernetes API: the narrow interface the reconciler, the
 * informers and leader election use, so they are plain TypeScript tested without a cluster.
 * `client-node-kube-client.ts` implements it with @kubernetes/client-node (the only importer).
 */

/** Object metadata as the API server sends it (the fields the operator reads). */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly finalizers?: readonly string[];
}

/** Any object as JSON; `data` is a Secret's (base64 values). */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly spec?: Readonly<Record<string, unknown>>;
  readonly status?: Readonly<Record<string, unknown>>;
  readonly data?: Readonly<Record<string, string>>;
}

/** A resource type: where its objects live in the API. */
export interface ResourceType {
  /** `''` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export interface ObjectList {
  readonly items: readonly KubeObject[];
  /** The list's resourceVersion: watch from here to miss nothing. */
  readonly resourceVersion: string;
}

/** A `Status` failure from the API server (or a transport error, status 0). */
export class KubeApiError extends Error {
  readonly status: number;
  /** `NotFound`, `Conflict`, `Expired`, `Gone`, `Forbidden`, ... (empty when unknown). */
  readonly reason: string;

  constructor(status: number, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }

  static is(err: unknown, status?: number): err is KubeApiError {
    return err instanceof KubeApiError && (status === undefined || err.status === status);
  }
}

export type WatchEvent =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: KubeObject }
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: string }
  /** The server ended the watch with a Status (410 Expired: the resourceVersion is too old). */
  | { readonly type: 'ERROR'; readonly error: KubeApiError };

export interface WatchOptions {
  readonly resourceVersion: string;
  /** The server ends the watch cleanly after this long. */
  readonly timeoutSeconds: number;
}

/** An open watch. `done` resolves when the stream ends (or was aborted), rejects on a failure. */
export interface WatchStream {
  readonly done: Promise<void>;
  abort(): void;
}

/** A `coordination.k8s.io/v1` Lease, as leader election reads and writes it. */
export interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime?: Date;
  readonly renewTime?: Date;
  readonly leaseTransitions: number;
  /** Set when read; an update carrying it fails with 409 when the Lease changed meanwhile. */
  readonly resourceVersion?: string;
}

/** A core/v1 Event about an object. */
export interface EventInput {
  readonly involved: { readonly resource: ResourceType; readonly object: KubeObject };
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface KubeClient {
  /** Every object of the type (in `namespace`, or all namespaces when undefined), paged. */
  list(resource: ResourceType, namespace: string | undefined): Promise<ObjectList>;
  /** Watches from `resourceVersion` with bookmarks; events arrive in order through `onEvent`. */
  watch(
    resource: ResourceType,
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
  ): WatchStream;
  /** The object, or undefined when it does not exist. */
  get(resource: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  /** JSON merge patch of the status subresource (`null` removes a field). */
  patchStatus(
    resource: ResourceType,
    namespace: string,
    name: string,
    status: Readonly<Record<string, unknown>>,
  ): Promise<KubeObject>;
  /** Replaces `metadata.finalizers` if the object is still at `resourceVersion` (else 409). */
  patchFinalizers(
    resource: ResourceType,
    namespace: string,
    name: string,
    finalizers: readonly string[],
    resourceVersion: string,
  ): Promise<KubeObject>;
  createEvent(event: EventInput): Promise<void>;
  getLease(namespace: string, name: string): Promise<LeaseRecord | undefined>;
  createLease(namespace: string, name: string, lease: LeaseRecord): Promise<LeaseRecord>;
  /** Replaces the Lease; fails with 409 unless `lease.resourceVersion` is current. */
  updateLease(namespace: string, name: string, lease: LeaseRecord): Promise<LeaseRecord>;
}
