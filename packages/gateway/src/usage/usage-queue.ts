/**
 * A bounded FIFO over a fixed ring of slots: `push`, `shift` and `unshift` are O(1) with no
 * allocation and no `Array.shift` (CONVENTIONS.md §11). When full, `push` evicts the oldest
 * item and returns it so the caller can count the drop; `unshift` (putting back an item that
 * failed to send, which is older than everything queued) refuses and returns the item instead.
 */
export class UsageQueue<T> {
  readonly #slots: (T | undefined)[];
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#slots = new Array<T | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#slots.length;
  }

  /** Appends `item`; returns the evicted oldest item when the queue was full. */
  push(item: T): T | undefined {
    const capacity = this.#slots.length;
    if (this.#size < capacity) {
      this.#slots[(this.#head + this.#size) % capacity] = item;
      this.#size++;
      return undefined;
    }
    const evicted = this.#slots[this.#head];
    this.#slots[this.#head] = item;
    this.#head = (this.#head + 1) % capacity;
    return evicted;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#slots[this.#head];
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#slots.length;
    this.#size--;
    return item;
  }

  /** Puts `item` back in front (it becomes the oldest); returns it when there is no room. */
  unshift(item: T): T | undefined {
    if (this.#size === this.#slots.length) return item;
    this.#head = (this.#head - 1 + this.#slots.length) % this.#slots.length;
    this.#slots[this.#head] = item;
    this.#size++;
    return undefined;
  }
}
