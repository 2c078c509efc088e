import type { KindName } from '@hubpo/api';
import type { ClusterSession } from '../control-plane/cluster-session.js';
import { ControlPlaneError } from '../control-plane/control-plane-client.js';
import type { ControlPlaneClient, FieldIssue } from '../control-plane/control-plane-client.js';
import type { Informer } from '../informer/informer.js';
import type { KubeClient, KubeObject } from '../kube/kube-client.js';
import { HUBPO_RESOURCES } from '../kube/kube-resources.js';
import type { Logger } from '../logger.js';
import { TerminalError } from '../queue/work-queue.js';
import type { StatusBook } from '../status/status-book.js';
import type { DependencyIndex } from './dependency-index.js';
import type { EventRecorder } from './event-recorder.js';
import { parseObjectKey } from './object-key.js';
import type { ObjectRef } from './object-key.js';
import { resolveReferences } from './resolve-references.js';
import type { OperatorCondition, ResolveContext } from './resolve-references.js';

/** The finalizer that holds a deleted object until the control plane forgot it. */
export const FINALIZER = 'hubpo.io/cleanup';

export interface ReconcilerDeps {
  readonly kube: KubeClient;
  readonly controlPlane: ControlPlaneClient;
  readonly session: ClusterSession;
  readonly informers: Readonly<Record<KindName, Informer>>;
  readonly secrets: Informer;
  readonly namespaces: Informer;
  readonly book: StatusBook;
  readonly index: DependencyIndex;
  readonly events: EventRecorder;
  /** Asks for the object's status to be written (after every decision). */
  readonly statusChanged: (key: string) => void;
  /** HUBPO_WATCH_NAMESPACES; undefined: every namespace. */
  readonly watchNamespaces: readonly string[] | undefined;
  readonly logger: Logger;
}

/**
 * Reconciles one hubpo.io object with the control plane (level-based, idempotent; the work
 * queue calls it with `<Kind>/<namespace>/<name>`):
 * - absent from Kubernetes: make sure the control plane does not hold it either;
 * - being deleted: delete it on the control plane, then drop the finalizer, only once the
 *   control plane confirmed (so the object stays while the control plane is unreachable);
 * - otherwise: ensure the finalizer, resolve Secrets and cross-namespace references, PUT the
 *   object. A 422 is recorded as `Accepted=False/Invalid` with the issues, plus a Warning Event,
 *   and is terminal (not retried until the object changes); so is a name another origin owns.
 */
export class Reconciler {
  readonly #d: ReconcilerDeps;
  readonly #ctx: ResolveContext;

  constructor(deps: ReconcilerDeps) {
    this.#d = deps;
    this.#ctx = {
      watches: (ns) => deps.watchNamespaces === undefined || deps.watchNamespaces.includes(ns),
      secret: (ns, name) => deps.secrets.cache.get(ns, name),
      namespace: (name) => deps.namespaces.cache.get(undefined, name),
      object: (kind, ns, name) => deps.informers[kind].cache.get(ns, name),
    };
  }

  async reconcile(key: string): Promise<void> {
    const ref = parseObjectKey(key);
    if (ref === undefined) return;
    const object = this.#d.informers[ref.kind].cache.get(ref.namespace, ref.name);
    if (object === undefined) {
      await this.#forget(ref, key);
      return;
    }
    if (object.metadata.deletionTimestamp !== undefined) {
      await this.#finalize(ref, key, object);
      return;
    }
    const current = await this.#ensureFinalizer(ref, object);
    await this.#publish(ref, key, current);
  }

  async #publish(ref: ObjectRef, key: string, object: KubeObject): Promise<void> {
    const resource = HUBPO_RESOURCES[ref.kind];
    const generation = object.metadata.generation ?? 1;
    const resolved = resolveReferences(ref.kind, object, this.#ctx);
    this.#d.index.set(key, resolved.dependencies);
    const problem = resolved.conditions[0];
    if (resolved.body === undefined) {
      await this.#deleteRemote(ref);
      this.#decide(key, generation, resolved.conditions, false);
    } else {
      try {
        await this.#d.session.call((token, cluster, signal) =>
          this.#d.controlPlane.putObject(token, cluster, pathOf(ref), resolved.body, signal),
        );
      } catch (err) {
        if (err instanceof ControlPlaneError && (err.status === 422 || err.status === 409)) {
          await this.#rejected(ref, key, object, err);
          throw new TerminalError(`${key}: ${err.message}`, { cause: err });
        }
        throw err;
      }
      this.#decide(key, generation, resolved.conditions, true);
    }
    if (problem !== undefined)
      await this.#d.events.warning(resource, object, problem.reason, problem.message);
  }

  /** The control plane refused the object: it is invalid (422) or its name is taken (409). */
  async #rejected(ref: ObjectRef, key: string, object: KubeObject, err: ControlPlaneError): Promise<void> {
    const invalid = err.status === 422;
    const reason = invalid ? 'Invalid' : 'Conflict';
    const message = invalid ? invalidMessage(err.issues, err.message) : err.message;
    const generation = object.metadata.generation ?? 1;
    const kept = this.#d.book.remote(key);
    const serving =
      kept === undefined ? 'nothing is published' : `the control plane keeps generation ${kept.generation}`;
    this.#decide(
      key,
      generation,
      [
        { type: 'Accepted', status: 'False', reason, message },
        {
          type: 'Programmed',
          status: 'False',
          reason,
          message: `generation ${generation} was not accepted; ${serving}`,
        },
      ],
      false,
    );
    await this.#d.events.warning(HUBPO_RESOURCES[ref.kind], object, reason, message);
  }

  #decide(key: string, generation: number, conditions: readonly OperatorCondition[], sent: boolean): void {
    this.#d.book.setLocal(key, { generation, conditions, sent });
    this.#d.statusChanged(key);
  }

  async #ensureFinalizer(ref: ObjectRef, object: KubeObject): Promise<KubeObject> {
    const finalizers = object.metadata.finalizers ?? [];
    if (finalizers.includes(FINALIZER)) return object;
    return this.#d.kube.patchFinalizers(
      HUBPO_RESOURCES[ref.kind],
      ref.namespace,
      ref.name,
      [...finalizers, FINALIZER],
      object.metadata.resourceVersion ?? '',
    );
  }

  async #finalize(ref: ObjectRef, key: string, object: KubeObject): Promise<void> {
    const finalizers = object.metadata.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return;
    // Throws while the control plane is unreachable: the queue retries and the finalizer stays.
    await this.#deleteRemote(ref);
    await this.#d.kube.patchFinalizers(
      HUBPO_RESOURCES[ref.kind],
      ref.namespace,
      ref.name,
      finalizers.filter((f) => f !== FINALIZER),
      object.metadata.resourceVersion ?? '',
    );
    this.#d.logger.info({ object: key }, 'deleted on the control plane; finalizer removed');
    this.#forgetLocal(ref, key);
  }

  async #forget(ref: ObjectRef, key: string): Promise<void> {
    await this.#deleteRemote(ref);
    this.#forgetLocal(ref, key);
  }

  #forgetLocal(ref: ObjectRef, key: string): void {
    this.#d.index.remove(key);
    this.#d.book.forget(key);
    this.#d.events.forget(ref.kind, ref.namespace, ref.name);
  }

  async #deleteRemote(ref: ObjectRef): Promise<void> {
    await this.#d.session.call((token, cluster, signal) =>
      this.#d.controlPlane.deleteObject(token, cluster, pathOf(ref), signal),
    );
  }
}

function pathOf(ref: ObjectRef): { plural: string; namespace: string; name: string } {
  return { plural: HUBPO_RESOURCES[ref.kind].plural, namespace: ref.namespace, name: ref.name };
}

/** `the resource is invalid: /spec/rules: ...; /spec/x: ...`, at most 1 KiB. */
function invalidMessage(issues: readonly FieldIssue[], fallback: string): string {
  if (issues.length === 0) return fallback;
  const text = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return `the control plane refused the object: ${text}`.slice(0, 1024);
}
