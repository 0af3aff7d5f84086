/**
 * Order id → slot index: an open-addressing hash table of slot numbers.
 *
 * Why not a `Map`: with hundreds of thousands of resting orders a `Map` costs ~40-80 bytes per
 * entry and several dependent cache misses per lookup. This table stores only the slot (an
 * Int32Array cell) and compares keys through the store's `orderId` array, so it costs 8-16 bytes
 * per order (load factor kept between 1/8 and 1/2) and one probe sequence per lookup. Linear
 * probing with backward-shift deletion: no tombstones, so lookups never slow down with churn.
 * Expected O(1) per operation; O(n) rehash when the table doubles or halves (amortized O(1)).
 *
 * Every method takes `keys`, the store's current order-id-by-slot array (the store replaces the
 * array when it grows, so the index must not keep its own reference).
 */
import { NIL } from './order-store.js';

const EMPTY = -1;
const MIN_CAPACITY = 1024;

/** Spreads a safe integer's bits over 32 bits (murmur3 fmix32 of low ^ mixed high word). */
export function hashId(id: number): number {
  const lo = id >>> 0;
  const hi = (id / 4294967296) >>> 0;
  let h = lo ^ Math.imul(hi, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class IdIndex {
  private table: Int32Array;
  private mask: number;
  private count = 0;

  constructor() {
    this.table = new Int32Array(MIN_CAPACITY).fill(EMPTY);
    this.mask = MIN_CAPACITY - 1;
  }

  /** Number of ids indexed. */
  get size(): number {
    return this.count;
  }

  /** The slot of `id`, or {@link NIL}. */
  get(id: number, keys: Float64Array): number {
    const table = this.table;
    const mask = this.mask;
    for (let i = hashId(id) & mask; ; i = (i + 1) & mask) {
      const slot = table[i]!;
      if (slot === EMPTY || keys[slot] === id) return slot;
    }
  }

  /** True if `id` is indexed. */
  has(id: number, keys: Float64Array): boolean {
    return this.get(id, keys) !== NIL;
  }

  /** Indexes `slot` under its id (`keys[slot]`), which must not be indexed yet. */
  add(slot: number, keys: Float64Array): void {
    if ((this.count + 1) * 2 > this.table.length) this.resize(this.table.length * 2, keys);
    this.insert(slot, keys[slot]!);
    this.count++;
  }

  /** Removes `id` if indexed. Returns its slot or {@link NIL}. */
  delete(id: number, keys: Float64Array): number {
    const table = this.table;
    const mask = this.mask;
    let i = hashId(id) & mask;
    for (;;) {
      const slot = table[i]!;
      if (slot === EMPTY) return NIL;
      if (keys[slot] === id) break;
      i = (i + 1) & mask;
    }
    const found = table[i]!;
    // Backward-shift: pull later members of the probe run into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const slot = table[j]!;
      if (slot === EMPTY) break;
      const home = hashId(keys[slot]!) & mask;
      // keep slot at j if its home lies cyclically in (hole, j]
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        table[hole] = slot;
        hole = j;
      }
    }
    table[hole] = EMPTY;
    this.count--;
    if (this.table.length > MIN_CAPACITY && this.count * 8 < this.table.length) this.resize(this.table.length / 2, keys);
    return found;
  }

  /** Visits every indexed slot (unspecified order). */
  forEachSlot(visit: (slot: number) => void): void {
    const table = this.table;
    for (let i = 0; i < table.length; i++) if (table[i] !== EMPTY) visit(table[i]!);
  }

  private insert(slot: number, id: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = hashId(id) & mask;
    while (table[i] !== EMPTY) i = (i + 1) & mask;
    table[i] = slot;
  }

  private resize(capacity: number, keys: Float64Array): void {
    const old = this.table;
    this.table = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    for (let i = 0; i < old.length; i++) {
      const slot = old[i]!;
      if (slot !== EMPTY) this.insert(slot, keys[slot]!);
    }
  }
}
