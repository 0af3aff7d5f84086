/**
 * The price levels of one side of a book.
 *
 * Why an indexed binary heap: matching only ever needs the best level (O(1): the heap root),
 * adding a level and removing an emptied level must be O(log L) (a sorted array would be O(L)
 * memmove), and a hash table price → level finds the level an order joins in O(1). Each level records
 * its heap position, so an emptied level is removed from the middle of the heap in O(log L)
 * without lazy-deletion tombstones. Ordered walks (depth, FOK checks, snapshots) use a best-first
 * traversal of the heap that costs O(k log k) for the first k levels, independent of L.
 * Compared with a balanced tree or a skip list, the heap is a few dozen lines, has no per-node
 * objects (everything lives in typed arrays) and no randomness.
 *
 * Each level owns an intrusive doubly linked FIFO of order slots (the links live in the
 * orders' records in {@link OrderStore}), so an order is appended, removed from the
 * front or cancelled from the middle in O(1).
 */
import { IdIndex, type KeySource } from './id-index.js';
import { NIL, growF64, growI32, type OrderStore } from './order-store.js';

const INITIAL_LEVELS = 8;

export class PriceLevels implements KeySource {
  /** True for the bid side (best = highest price), false for asks (best = lowest). */
  readonly isBid: boolean;
  /** Price in ticks per level id. */
  price: Float64Array;
  /** First / last order slot of the level's FIFO. */
  head: Int32Array;
  tail: Int32Array;
  /** Sum of the level's orders' leaves quantity, in lots. */
  total: Float64Array;
  /** Number of orders in the level. */
  count: Int32Array;
  /** Heap position per level id. */
  pos: Int32Array;
  /** Heap of level ids; `key[i]` is the sort key of `heap[i]` (price for asks, -price for bids). */
  heap: Int32Array;
  key: Float64Array;
  /** Number of live levels (= heap size). */
  size = 0;
  /** Price → level id of every live level (an open-addressing table: cheaper than a Map when levels churn). */
  readonly byPrice = new IdIndex(this);

  private readonly sign: number;
  private freeHead = NIL;
  private highWater = 0;

  constructor(isBid: boolean) {
    this.isBid = isBid;
    this.sign = isBid ? -1 : 1;
    const n = INITIAL_LEVELS;
    this.price = new Float64Array(n);
    this.head = new Int32Array(n);
    this.tail = new Int32Array(n);
    this.total = new Float64Array(n);
    this.count = new Int32Array(n);
    this.pos = new Int32Array(n);
    this.heap = new Int32Array(n);
    this.key = new Float64Array(n);
  }

  /** {@link KeySource} for the price index: the price of level `lvl`. */
  keyAt(lvl: number): number {
    return this.price[lvl]!;
  }

  /** The best level id, or {@link NIL} when the side is empty. */
  best(): number {
    return this.size > 0 ? this.heap[0]! : NIL;
  }

  /** The live level at `price`, creating (and heap-inserting) an empty one if needed. */
  levelAt(price: number): number {
    const existing = this.byPrice.get(price);
    if (existing !== NIL) return existing;
    let lvl = this.freeHead;
    if (lvl !== NIL) {
      this.freeHead = this.head[lvl]!;
    } else {
      if (this.highWater === this.price.length) this.grow();
      lvl = this.highWater++;
    }
    this.price[lvl] = price;
    this.head[lvl] = NIL;
    this.tail[lvl] = NIL;
    this.total[lvl] = 0;
    this.count[lvl] = 0;
    this.byPrice.add(price, lvl);
    this.siftUp(this.size++, lvl, this.sign * price);
    return lvl;
  }

  /** Removes an empty level from the heap and the price map, and frees its id. */
  removeLevel(lvl: number): void {
    const i = this.pos[lvl]!;
    const last = --this.size;
    if (i !== last) {
      const moved = this.heap[last]!;
      const k = this.key[last]!;
      if (i > 0 && this.key[(i - 1) >> 1]! > k) this.siftUp(i, moved, k);
      else this.siftDown(i, moved, k);
    }
    this.byPrice.delete(this.price[lvl]!);
    this.pos[lvl] = NIL;
    this.head[lvl] = this.freeHead;
    this.freeHead = lvl;
  }

  /** Appends `slot` at the back of level `lvl`'s FIFO; adds `leaves` to the level total. */
  append(store: OrderStore, slot: number, lvl: number, leaves: number): void {
    const tail = this.tail[lvl]!;
    store.setPrev(slot, tail);
    store.setNext(slot, NIL);
    store.setLevel(slot, lvl);
    if (tail === NIL) this.head[lvl] = slot;
    else store.setNext(tail, slot);
    this.tail[lvl] = slot;
    this.count[lvl]!++;
    this.total[lvl]! += leaves;
  }

  /**
   * Unlinks `slot` from its level's FIFO and subtracts `leaves` from the level total. Removes the
   * level when it becomes empty. Returns true if the level was removed.
   */
  unlink(store: OrderStore, slot: number, leaves: number): boolean {
    const lvl = store.level(slot);
    const p = store.prev(slot);
    const n = store.next(slot);
    if (p === NIL) this.head[lvl] = n;
    else store.setNext(p, n);
    if (n === NIL) this.tail[lvl] = p;
    else store.setPrev(n, p);
    this.total[lvl]! -= leaves;
    if (--this.count[lvl]! === 0) {
      this.removeLevel(lvl);
      return true;
    }
    return false;
  }

  /**
   * Visits live levels best first until `visit` returns false. O(k log k) for k visited levels:
   * a small auxiliary heap of candidate heap positions (a position's children are only worse).
   */
  forEachBestFirst(visit: (lvl: number) => boolean): void {
    if (this.size === 0) return;
    const key = this.key;
    const cand: number[] = [0];
    while (cand.length > 0) {
      const top = cand[0]!;
      const lastCand = cand.pop()!;
      if (cand.length > 0) {
        // sift lastCand down from the root of the candidate heap
        let i = 0;
        const k = key[lastCand]!;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= cand.length) break;
          const r = l + 1;
          const c = r < cand.length && key[cand[r]!]! < key[cand[l]!]! ? r : l;
          if (key[cand[c]!]! >= k) break;
          cand[i] = cand[c]!;
          i = c;
        }
        cand[i] = lastCand;
      }
      if (!visit(this.heap[top]!)) return;
      for (let child = 2 * top + 1; child <= 2 * top + 2 && child < this.size; child++) {
        // sift the child up in the candidate heap
        let i = cand.length;
        cand.push(child);
        const k = key[child]!;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (key[cand[p]!]! <= k) break;
          cand[i] = cand[p]!;
          i = p;
        }
        cand[i] = child;
      }
    }
  }

  /** Up to `n` live level ids, best first. */
  topLevels(n: number): number[] {
    const out: number[] = [];
    if (n <= 0) return out;
    this.forEachBestFirst((lvl) => {
      out.push(lvl);
      return out.length < n;
    });
    return out;
  }

  /** Every live level id, best first. */
  allLevels(): number[] {
    return this.topLevels(this.size);
  }

  /** Number of level ids ever handed out (for invariant checks). */
  get allocated(): number {
    return this.highWater;
  }

  private siftUp(i: number, lvl: number, k: number): void {
    const heap = this.heap;
    const key = this.key;
    const pos = this.pos;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = key[p]!;
      if (pk <= k) break;
      const pl = heap[p]!;
      heap[i] = pl;
      key[i] = pk;
      pos[pl] = i;
      i = p;
    }
    heap[i] = lvl;
    key[i] = k;
    pos[lvl] = i;
  }

  private siftDown(i: number, lvl: number, k: number): void {
    const heap = this.heap;
    const key = this.key;
    const pos = this.pos;
    const size = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      const c = r < size && key[r]! < key[l]! ? r : l;
      const ck = key[c]!;
      if (ck >= k) break;
      const cl = heap[c]!;
      heap[i] = cl;
      key[i] = ck;
      pos[cl] = i;
      i = c;
    }
    heap[i] = lvl;
    key[i] = k;
    pos[lvl] = i;
  }

  private grow(): void {
    const n = this.price.length * 2;
    this.price = growF64(this.price, n);
    this.head = growI32(this.head, n);
    this.tail = growI32(this.tail, n);
    this.total = growF64(this.total, n);
    this.count = growI32(this.count, n);
    this.pos = growI32(this.pos, n);
    this.heap = growI32(this.heap, n);
    this.key = growF64(this.key, n);
  }
}
