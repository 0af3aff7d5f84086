/**
 * Resting-order storage: fixed 64-byte records with a free-list allocator.
 *
 * Each resting order lives in a numbered slot: a 64-byte record (one cache line) read through a
 * Float64Array view (ids and quantities: safe integers) and an Int32Array view (links, level,
 * flags) of the same buffer. No JavaScript object per order, so no GC pressure, and touching an
 * order costs one cache miss rather than one per field. Free slots form a singly linked list
 * through the `next` field.
 *
 * Records live in chunks: chunk 0 starts at 16 slots and doubles up to {@link CHUNK_SLOTS}
 * (so the 45k mostly idle books of the catalog stay about 1 KiB each); after that, growing adds
 * a chunk of {@link CHUNK_SLOTS} records (1 MiB) without copying anything. A resting order costs
 * 64 bytes plus at most one partly used chunk, plus 16-64 bytes in the id index ({@link IdIndex}).
 *
 * Price and side are not stored per order: they belong to the order's price level.
 *
 * Record layout (float64 cells 0-4, int32 cells 10-13, bytes 56-63 unused):
 * orderId, account, qty (OrderQty, lots), cumQty (lots), cumNotional (ticks × lots),
 * prev / next slot in the level FIFO ({@link NIL} at the ends), level id, flags.
 */
import { IdIndex, type KeySource } from './id-index.js';

/** Flag bit: the order is a SELL (clear = BUY). */
export const FLAG_SELL = 1;
/** Flag bit: time in force is DAY (clear = GTC). Only GTC and DAY orders rest. */
export const FLAG_DAY = 2;

/** "No slot" marker in the link fields. */
export const NIL = -1;

const CHUNK_BITS = 14;
/** Records per full chunk (16384 × 64 B = 1 MiB). */
export const CHUNK_SLOTS = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SLOTS - 1;
const ORDER_ID = 0;
const ACCOUNT = 1;
const QTY = 2;
const CUM_QTY = 3;
const NOTIONAL = 4;
const PREV = 10;
const NEXT = 11;
const LEVEL = 12;
const FLAGS = 13;

const INITIAL_SLOTS = 16;

export class OrderStore implements KeySource {
  private readonly f64s: Float64Array[] = [new Float64Array(INITIAL_SLOTS * 8)];
  private readonly i32s: Int32Array[] = [new Int32Array(this.f64s[0]!.buffer)];
  private readonly ids = new IdIndex(this);
  private freeHead = NIL;
  private highWater = 0;
  private cap = INITIAL_SLOTS;

  /** Number of slots available without growing. */
  get capacity(): number {
    return this.cap;
  }

  /** Number of indexed (resting) orders. */
  get size(): number {
    return this.ids.size;
  }

  /** Bytes held by records and the id index (for diagnostics). */
  get bytes(): number {
    return this.cap * 64 + this.ids.bytes;
  }

  /** {@link KeySource} for the id index: the order id in `slot`. */
  keyAt(slot: number): number {
    return this.f64s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 3) + ORDER_ID]!;
  }

  /** Order id (positive safe integer). */
  orderId(slot: number): number {
    return this.f64s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 3) + ORDER_ID]!;
  }
  /** Owner account. */
  account(slot: number): number {
    return this.f64s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 3) + ACCOUNT]!;
  }
  /** OrderQty: total quantity in lots. */
  qty(slot: number): number {
    return this.f64s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 3) + QTY]!;
  }
  /** CumQty: filled lots. */
  cumQty(slot: number): number {
    return this.f64s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 3) + CUM_QTY]!;
  }
  /** Sum of fill price × qty (ticks × lots). */
  cumNotional(slot: number): number {
    return this.f64s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 3) + NOTIONAL]!;
  }
  /** Previous slot in the level FIFO, or {@link NIL}. */
  prev(slot: number): number {
    return this.i32s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 4) + PREV]!;
  }
  /** Next slot in the level FIFO (or on the free list), or {@link NIL}. */
  next(slot: number): number {
    return this.i32s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 4) + NEXT]!;
  }
  /** Price-level id on the order's side. */
  level(slot: number): number {
    return this.i32s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 4) + LEVEL]!;
  }
  /** {@link FLAG_SELL} | {@link FLAG_DAY}. */
  flags(slot: number): number {
    return this.i32s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 4) + FLAGS]!;
  }

  /** Sets OrderQty (amend). */
  setQty(slot: number, qty: number): void {
    this.f64s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 3) + QTY] = qty;
  }
  /** Records a fill of `qty` lots at `price` ticks. */
  addFill(slot: number, qty: number, price: number): void {
    const f = this.f64s[slot >> CHUNK_BITS]!;
    const b = (slot & CHUNK_MASK) << 3;
    f[b + CUM_QTY]! += qty;
    f[b + NOTIONAL]! += qty * price;
  }
  /** Sets CumQty and notional (after an amended order traded as taker). */
  setFills(slot: number, cumQty: number, cumNotional: number): void {
    const f = this.f64s[slot >> CHUNK_BITS]!;
    const b = (slot & CHUNK_MASK) << 3;
    f[b + CUM_QTY] = cumQty;
    f[b + NOTIONAL] = cumNotional;
  }
  /** Link setters, used by the price levels. */
  setPrev(slot: number, prev: number): void {
    this.i32s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 4) + PREV] = prev;
  }
  setNext(slot: number, next: number): void {
    this.i32s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 4) + NEXT] = next;
  }
  setLevel(slot: number, level: number): void {
    this.i32s[slot >> CHUNK_BITS]![((slot & CHUNK_MASK) << 4) + LEVEL] = level;
  }

  /** Takes a free slot and fills it (links cleared); the caller links it into a level, then {@link OrderStore.index}es it. */
  alloc(orderId: number, account: number, qty: number, cumQty: number, cumNotional: number, flags: number): number {
    let slot = this.freeHead;
    if (slot !== NIL) {
      this.freeHead = this.next(slot);
    } else {
      if (this.highWater === this.cap) this.grow();
      slot = this.highWater++;
    }
    const f = this.f64s[slot >> CHUNK_BITS]!;
    const b = (slot & CHUNK_MASK) << 3;
    f[b + ORDER_ID] = orderId;
    f[b + ACCOUNT] = account;
    f[b + QTY] = qty;
    f[b + CUM_QTY] = cumQty;
    f[b + NOTIONAL] = cumNotional;
    const i = this.i32s[slot >> CHUNK_BITS]!;
    const j = b << 1;
    i[j + PREV] = NIL;
    i[j + NEXT] = NIL;
    i[j + LEVEL] = NIL;
    i[j + FLAGS] = flags;
    return slot;
  }

  /** The slot of resting order `orderId`, or {@link NIL}. */
  find(orderId: number): number {
    return this.ids.get(orderId);
  }

  /** Indexes a filled-in slot under its orderId (which must not be resting). */
  index(slot: number): void {
    this.ids.add(this.orderId(slot), slot);
  }

  /** Removes the slot's id from the index and returns the slot to the free list. */
  release(slot: number): void {
    this.ids.delete(this.orderId(slot));
    this.setNext(slot, this.freeHead);
    this.freeHead = slot;
  }

  /** Slots currently on the free list (for invariant checks). */
  freeSlots(): number {
    let n = 0;
    for (let s = this.freeHead; s !== NIL; s = this.next(s)) n++;
    return n;
  }

  /** Slots ever handed out (free or in use). */
  get allocated(): number {
    return this.highWater;
  }

  /** Doubles chunk 0 until it is full size, then adds full-size chunks; never copies more than chunk 0. */
  private grow(): void {
    if (this.cap < CHUNK_SLOTS) {
      const n = this.cap * 2;
      const f = new Float64Array(n * 8);
      const i = new Int32Array(f.buffer);
      i.set(this.i32s[0]!); // integer copy: bit-exact
      this.f64s[0] = f;
      this.i32s[0] = i;
      this.cap = n;
    } else {
      const f = new Float64Array(CHUNK_SLOTS * 8);
      this.f64s.push(f);
      this.i32s.push(new Int32Array(f.buffer));
      this.cap += CHUNK_SLOTS;
    }
  }
}

/** Copies `a` into a new Float64Array of length `n`. */
export function growF64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

/** Copies `a` into a new Int32Array of length `n`. */
export function growI32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
