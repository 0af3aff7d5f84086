/**
 * Resting-order storage as a struct of arrays.
 *
 * Each resting order lives in a numbered slot; its fields are entries of parallel typed arrays
 * rather than a JavaScript object, so a resting order costs about 53 bytes of array storage plus
 * 8-16 bytes in the id index ({@link IdIndex}), and creates no garbage. Free slots form a singly linked list threaded
 * through {@link OrderStore.next}; capacity doubles when the list is empty.
 *
 * Price and side are not stored per order: they belong to the order's price level.
 */

import { IdIndex } from './id-index.js';

/** Flag bit: the order is a SELL (clear = BUY). */
export const FLAG_SELL = 1;
/** Flag bit: time in force is DAY (clear = GTC). Only GTC and DAY orders rest. */
export const FLAG_DAY = 2;

/** "No slot" marker in the link arrays. */
export const NIL = -1;

const INITIAL_CAPACITY = 1024;

export class OrderStore {
  /** Order id per slot (positive safe integer). */
  orderId: Float64Array;
  /** Owner account per slot. */
  account: Float64Array;
  /** OrderQty (total, lots) per slot. */
  qty: Float64Array;
  /** CumQty (lots) per slot; leaves = qty - cumQty > 0 while resting. */
  cumQty: Float64Array;
  /** Sum of fill price × qty per slot (ticks × lots). */
  cumNotional: Float64Array;
  /** Previous / next slot in the order's price-level FIFO ({@link NIL} at the ends); `next` also links free slots. */
  prev: Int32Array;
  next: Int32Array;
  /** Price-level id (in the order's side) per slot. */
  level: Int32Array;
  /** {@link FLAG_SELL} | {@link FLAG_DAY}. */
  flags: Uint8Array;
  private readonly ids = new IdIndex();

  private freeHead = NIL;
  private highWater = 0;

  constructor(capacity: number = INITIAL_CAPACITY) {
    const n = Math.max(16, capacity | 0);
    this.orderId = new Float64Array(n);
    this.account = new Float64Array(n);
    this.qty = new Float64Array(n);
    this.cumQty = new Float64Array(n);
    this.cumNotional = new Float64Array(n);
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.level = new Int32Array(n);
    this.flags = new Uint8Array(n);
  }

  /** Number of slots the arrays can hold without growing. */
  get capacity(): number {
    return this.orderId.length;
  }

  /** Number of indexed (resting) orders. */
  get size(): number {
    return this.ids.size;
  }

  /** The slot of resting order `orderId`, or {@link NIL}. */
  find(orderId: number): number {
    return this.ids.get(orderId, this.orderId);
  }

  /** Indexes a filled-in slot under its `orderId` (which must not be resting). */
  index(slot: number): void {
    this.ids.add(slot, this.orderId);
  }

  /** Takes a free slot (growing the arrays if needed). The caller fills every field and indexes it. */
  alloc(): number {
    const free = this.freeHead;
    if (free !== NIL) {
      this.freeHead = this.next[free]!;
      return free;
    }
    if (this.highWater === this.orderId.length) this.grow();
    return this.highWater++;
  }

  /** Returns a slot to the free list and removes its id from the index. */
  release(slot: number): void {
    this.ids.delete(this.orderId[slot]!, this.orderId);
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
  }

  /** Slots currently on the free list (for invariant checks). */
  freeSlots(): number {
    let n = 0;
    for (let s = this.freeHead; s !== NIL; s = this.next[s]!) n++;
    return n;
  }

  /** Slots ever handed out (free or in use). */
  get allocated(): number {
    return this.highWater;
  }

  private grow(): void {
    const n = this.orderId.length * 2;
    this.orderId = growF64(this.orderId, n);
    this.account = growF64(this.account, n);
    this.qty = growF64(this.qty, n);
    this.cumQty = growF64(this.cumQty, n);
    this.cumNotional = growF64(this.cumNotional, n);
    this.prev = growI32(this.prev, n);
    this.next = growI32(this.next, n);
    this.level = growI32(this.level, n);
    const flags = new Uint8Array(n);
    flags.set(this.flags);
    this.flags = flags;
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
