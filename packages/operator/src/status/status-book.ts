import type { RemoteStatus } from '../control-plane/control-plane-client.js';
import type { LocalDecision } from './desired-status.js';

/** Per object key: the operator's last decision and the control plane's last reported status. */
export class StatusBook {
  readonly #local = new Map<string, LocalDecision>();
  readonly #remote = new Map<string, RemoteStatus>();

  setLocal(key: string, decision: LocalDecision): void {
    this.#local.set(key, decision);
  }

  setRemote(key: string, status: RemoteStatus): void {
    this.#remote.set(key, status);
  }

  local(key: string): LocalDecision | undefined {
    return this.#local.get(key);
  }

  remote(key: string): RemoteStatus | undefined {
    return this.#remote.get(key);
  }

  forget(key: string): void {
    this.#local.delete(key);
    this.#remote.delete(key);
  }
}
