import type { Condition } from '@hubpo/api';
import type { IrMeta } from './ir.js';
import type { ObjectStatus } from './object-status.js';
import { Reasons } from './reasons.js';
import type { Reason } from './reasons.js';

interface Finding {
  readonly reason: Reason;
  readonly message: string;
}

/**
 * Collects what is wrong with one object while it is translated. A fault rejects the object
 * (Accepted=False, left out of the snapshot); an unresolved reference only degrades it
 * (ResolvedRefs=False, the object still serves what resolved). The first finding of each kind
 * gives the reason; the message lists all of them in the order found.
 */
export class StatusBuilder {
  readonly #meta: IrMeta;
  readonly #faults: Finding[] = [];
  readonly #unresolved: Finding[] = [];

  constructor(meta: IrMeta) {
    this.#meta = meta;
  }

  get meta(): IrMeta {
    return this.#meta;
  }

  get accepted(): boolean {
    return this.#faults.length === 0;
  }

  reject(reason: Reason, message: string): void {
    this.#faults.push({ reason, message });
  }

  unresolved(reason: Reason, message: string): void {
    this.#unresolved.push({ reason, message });
  }

  build(): ObjectStatus {
    const { kind, namespace, name, generation } = this.#meta;
    return {
      kind,
      namespace,
      name,
      generation,
      conditions: [
        condition('Accepted', this.#faults, Reasons.Accepted, 'accepted', generation),
        condition(
          'ResolvedRefs',
          this.#unresolved,
          Reasons.ResolvedRefs,
          'all references resolved',
          generation,
        ),
      ],
    };
  }
}

function condition(
  type: string,
  findings: readonly Finding[],
  okReason: Reason,
  okMessage: string,
  generation: number,
): Condition {
  const first = findings[0];
  if (first === undefined) {
    return { type, status: 'True', reason: okReason, message: okMessage, observedGeneration: generation };
  }
  const message = findings.map((f) => f.message).join('; ');
  return { type, status: 'False', reason: first.reason, message, observedGeneration: generation };
}
