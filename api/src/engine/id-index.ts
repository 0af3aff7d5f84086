/**
 * Positive safe integer key → non-negative int32 value: an open-addressing hash table in one
 * Int32Array. Used for order id → slot (keys held by {@link OrderStore}) and price → level id
 * (keys held by {@link PriceLevels}).
 *
 * Why not a `Map`: with hundreds of thousands of resting orders a `Map` costs ~40-80 bytes per
 * entry and several dependent cache misses per lookup, and it was the largest cost on deep books.
 * Here a bucket is two int32 cells `[value, 32-bit hash of key]` (8 bytes; value -1 = empty). The
 * key itself is not stored: its owner returns it from {@link KeySource.keyAt}, and is asked only
 * when the hash matches (a lookup for an absent key almost never touches the owner). Rehashing
 * and deletion use the stored hashes, never the owner.
 *
 * Linear probing with backward-shift deletion: no tombstones, so lookups do not slow down with
 * churn. The load factor stays at most 1/2 (16 buckets minimum); tables above 1024 buckets halve
 * when it drops below 1/8, so a large table costs 16-64 bytes per key and a small one at most
 * 8 KiB. Expected O(1) per operation; O(n) rehash when the table doubles or halves (amortized O(1)).
 */

const MIN_BUCKETS = 16;
/** Tables this small never shrink: avoids resize thrash on books that fill and empty. */
const NO_SHRINK_BUCKETS = 1024;
const EMPTY = -1;

/** Spreads a safe integer's bits over 32 bits (murmur3 fmix32 of low ^ mixed high word), as int32. */
export function hashId(id: number): number {
  const lo = id >>> 0;
  const hi = (id / 4294967296) >>> 0;
  let h = lo ^ Math.imul(hi, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Whoever holds the keys: returns the key stored under `value`. */
export interface KeySource {
  keyAt(value: number): number;
}

export class IdIndex {
  private cells = new Int32Array(MIN_BUCKETS * 2).fill(EMPTY);
  private mask = MIN_BUCKETS - 1;
  private count = 0;

  constructor(private readonly keys: KeySource) {}

  /** Number of keys indexed. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.cells.byteLength;
  }

  /** The value stored for `key`, or -1. */
  get(key: number): number {
    const h = hashId(key);
    const cells = this.cells;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = cells[2 * i]!;
      if (v === EMPTY) return EMPTY;
      if (cells[2 * i + 1] === h && this.keys.keyAt(v) === key) return v;
    }
  }

  /** Adds `key` (not yet indexed; `keys.keyAt(value)` must already return it) → `value` (>= 0). */
  add(key: number, value: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.resize((this.mask + 1) * 2);
    this.insert(hashId(key), value);
    this.count++;
  }

  /** Removes `key` if indexed (while `keys.keyAt` still returns it). Returns its value or -1. */
  delete(key: number): number {
    const h = hashId(key);
    const cells = this.cells;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const v = cells[2 * i]!;
      if (v === EMPTY) return EMPTY;
      if (cells[2 * i + 1] === h && this.keys.keyAt(v) === key) break;
      i = (i + 1) & mask;
    }
    const found = cells[2 * i]!;
    // Backward shift: pull later members of the probe run into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const v = cells[2 * j]!;
      if (v === EMPTY) break;
      const jh = cells[2 * j + 1]!;
      const home = jh & mask;
      // the entry at j stays if its home lies cyclically in (hole, j]
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        cells[2 * hole] = v;
        cells[2 * hole + 1] = jh;
        hole = j;
      }
    }
    cells[2 * hole] = EMPTY;
    this.count--;
    const buckets = this.mask + 1;
    if (buckets > NO_SHRINK_BUCKETS && this.count * 8 < buckets) this.resize(buckets / 2);
    return found;
  }

  /** Visits every indexed value (unspecified order). */
  forEachValue(visit: (value: number) => void): void {
    const cells = this.cells;
    for (let i = 0; i < cells.length; i += 2) if (cells[i] !== EMPTY) visit(cells[i]!);
  }

  private insert(h: number, value: number): void {
    const cells = this.cells;
    const mask = this.mask;
    let i = h & mask;
    while (cells[2 * i] !== EMPTY) i = (i + 1) & mask;
    cells[2 * i] = value;
    cells[2 * i + 1] = h;
  }

  private resize(buckets: number): void {
    const old = this.cells;
    this.cells = new Int32Array(buckets * 2).fill(EMPTY);
    this.mask = buckets - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== EMPTY) this.insert(old[i + 1]!, old[i]!);
  }
}
