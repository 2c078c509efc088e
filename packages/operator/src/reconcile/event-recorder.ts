import { errorMessage } from '@hubpo/core';
import type { KubeClient, KubeObject, ResourceType } from '../kube/kube-client.js';
import type { Logger } from '../logger.js';

/**
 * Records Kubernetes Events about objects (`kubectl describe` shows them). The same event for the
 * same object generation is recorded once, so retries do not flood the namespace; failing to
 * record is logged and never fails a reconcile.
 */
export class EventRecorder {
  readonly #client: KubeClient;
  readonly #logger: Logger;
  readonly #recorded = new Map<string, string>();

  constructor(client: KubeClient, logger: Logger) {
    this.#client = client;
    this.#logger = logger;
  }

  async warning(resource: ResourceType, object: KubeObject, reason: string, message: string): Promise<void> {
    const key = `${resource.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    const fingerprint = `${object.metadata.uid ?? ''}@${object.metadata.generation ?? 0}:${reason}:${message}`;
    if (this.#recorded.get(key) === fingerprint) return;
    this.#recorded.set(key, fingerprint);
    try {
      await this.#client.createEvent({ involved: { resource, object }, type: 'Warning', reason, message });
    } catch (err) {
      this.#recorded.delete(key);
      this.#logger.warn({ err: errorMessage(err), object: key, reason }, 'could not record an Event');
    }
  }

  /** The object is gone: its next event is new again. */
  forget(kind: string, namespace: string, name: string): void {
    this.#recorded.delete(`${kind}/${namespace}/${name}`);
  }
}
