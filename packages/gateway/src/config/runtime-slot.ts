import type { Runtime } from '../runtime/index.js';

/**
 * The one reference the proxy listener dispatches through. Swapping it is a single assignment,
 * so every request runs entirely on the runtime it started with: a request in flight keeps its
 * old runtime (retired, not destroyed) while new requests see the new one.
 */
export class RuntimeSlot {
  #current: Runtime;
  #ready = false;

  /** `placeholder` serves until the first config is applied (503 HUBPO_ERR_NOT_READY). */
  constructor(placeholder: Runtime) {
    this.#current = placeholder;
  }

  get current(): Runtime {
    return this.#current;
  }

  /** True once a real config was swapped in. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Installs `next` and returns the runtime it replaced (undefined for the placeholder). */
  swap(next: Runtime): Runtime | undefined {
    const previous = this.#ready ? this.#current : undefined;
    this.#current = next;
    this.#ready = true;
    return previous;
  }
}
