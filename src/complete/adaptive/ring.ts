// A bounded first-in first-out queue of reusable slots: what has been read but not yet learned
// from. Slots are made on first use and then recycled, so a steady stream allocates nothing
// (slots may live in a WebAssembly heap, which never frees). When full, pushing drops the oldest.
export class Ring<T> {
  private readonly slots: T[] = [];
  private head = 0;      // index of the oldest entry
  private count = 0;
  /** Entries dropped because the queue was full. */
  dropped = 0;

  constructor(readonly capacity: number, private readonly make: () => T) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new Error(`A queue needs room for at least one entry, not ${capacity}.`);
  }

  get size(): number { return this.count; }

  /** The slot to fill for a new entry at the back (the oldest entry's, dropped, when full). */
  push(): T {
    if (this.count === this.capacity) { this.head = (this.head + 1) % this.capacity; this.count--; this.dropped++; }
    const i = (this.head + this.count) % this.capacity;
    if (i === this.slots.length) this.slots.push(this.make());
    this.count++;
    return this.slots[i];
  }

  /** The oldest entry, removed from the queue (its slot is valid until the next push). */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const s = this.slots[this.head];
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return s;
  }

  clear(): void { this.head = 0; this.count = 0; }
}
