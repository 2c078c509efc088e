import type { HeaderModifierConfig } from '@hubpo/snapshot';

const REMOVE = 1;
const SET = 2;
const ADD = 3;

interface Action {
  readonly kind: typeof REMOVE | typeof SET | typeof ADD;
  /** The value added (ADD, several adds of a name joined with ","). */
  readonly value: string;
  /** ADD only: this action's bit in the `seen` mask. */
  readonly bit: number;
}

/**
 * A Gateway API RequestHeaderModifier / ResponseHeaderModifier, compiled: one map probe per
 * header. `remove` drops a header, `set` replaces it (or adds it), `add` appends to the existing
 * value with "," (or adds it). A name listed in several lists: remove wins over set over add.
 * Headers are fed through `apply` one by one into a flat `[name, value, ...]` list, then
 * `finish` appends what was set and what was added but not present.
 */
export class HeaderModifier {
  readonly #actions = new Map<string, Action>();
  /** Flat `[name, value, ...]` of set headers. */
  readonly #set: readonly string[];
  /** Flat `[name, value, ...]` of add headers, positions matching their bits. */
  readonly #add: readonly string[];
  readonly #allAdds: number;

  constructor(config: HeaderModifierConfig) {
    const adds = new Map<string, string>();
    for (const { name, value } of config.add)
      adds.set(name, adds.has(name) ? `${adds.get(name)},${value}` : value);
    const sets = new Map<string, string>();
    for (const { name, value } of config.set) sets.set(name, value);
    const removes = new Set(config.remove);
    const add: string[] = [];
    let bit = 1;
    for (const [name, value] of adds) {
      if (removes.has(name) || sets.has(name)) continue;
      this.#actions.set(name, { kind: ADD, value, bit });
      add.push(name, value);
      bit *= 2;
    }
    const set: string[] = [];
    for (const [name, value] of sets) {
      if (removes.has(name)) continue;
      this.#actions.set(name, { kind: SET, value, bit: 0 });
      set.push(name, value);
    }
    for (const name of removes) this.#actions.set(name, { kind: REMOVE, value: '', bit: 0 });
    this.#set = set;
    this.#add = add;
    this.#allAdds = bit - 1;
  }

  /** Every header name this modifier sets or removes (the gateway must not add them itself). */
  overrides(name: string): boolean {
    const action = this.#actions.get(name);
    return action !== undefined && action.kind !== ADD;
  }

  /**
   * Pushes `name: value` (lower-case name) onto `out` as modified; returns `seen` with the bit
   * of an add action that found its header.
   */
  apply(name: string, value: string, out: string[], seen: number): number {
    const action = this.#actions.get(name);
    if (action === undefined) {
      out.push(name, value);
      return seen;
    }
    if (action.kind === ADD) {
      out.push(name, `${value},${action.value}`);
      return seen | action.bit;
    }
    return seen;
  }

  /** Appends set headers and the added headers whose bit is not in `seen`. */
  finish(out: string[], seen: number): void {
    const set = this.#set;
    for (let i = 0; i < set.length; i++) out.push(set[i]!);
    if (seen === this.#allAdds) return;
    const add = this.#add;
    for (let i = 0, bit = 1; i < add.length; i += 2, bit *= 2) {
      if ((seen & bit) === 0) out.push(add[i]!, add[i + 1]!);
    }
  }

  /** Applies the modifier to a node header object in place (WebSocket upgrades, which http-proxy forwards). */
  applyTo(headers: Record<string, string | string[] | undefined>): void {
    for (const [name, action] of this.#actions) {
      if (action.kind === REMOVE) {
        delete headers[name];
      } else if (action.kind === SET) {
        headers[name] = action.value;
      } else {
        const existing = headers[name];
        headers[name] = existing === undefined ? action.value : `${String(existing)},${action.value}`;
      }
    }
  }
}
