/**
 * The LOBW1 reference model: a deliberately plain price-time order book on the LOBW1 price grid.
 *
 * FIFO per price level, makers fill at their own price, a partly filled maker keeps its place,
 * a crossing limit order rests its remainder at its limit price, market orders discard what they
 * cannot fill. Cancelled orders are dropped lazily (their remaining quantity is set to 0 and
 * skipped when the queue reaches them). `resting` is the array of resting order ids with
 * swap-remove, exactly as LOBW1 defines it, so a generator can draw cancel targets from it.
 */

/** Mid price of the LOBW1 grid, in ticks. */
export const MID = 10_000;
/** Lowest grid price, in ticks. */
export const GRID_LOW = MID - 50;
/** Number of grid prices (MID-50 .. MID+50). */
export const GRID_SIZE = 101;

/** Side codes used in the stream arrays. */
export const BUY = 0;
export const SELL = 1;

/** One level of final depth: price in ticks, total remaining quantity in lots. */
export type DepthPair = readonly [price: number, qty: number];

export class Lobw1Model {
  /** Resting order ids; an order leaves by swap-remove. */
  readonly resting: number[] = [];
  /** Total quantity traded so far, in lots. */
  tradedQty = 0;
  /** Number of cancels that removed a resting order. */
  cancels = 0;

  private readonly remaining: Int32Array;
  private readonly orderSide: Uint8Array;
  private readonly orderPx: Int32Array;
  private readonly pos: Int32Array;
  /** Per side, per grid index: FIFO of order ids (lazy deletion) and its read position. */
  private readonly queues: number[][][] = [[], []];
  private readonly heads: Int32Array[] = [new Int32Array(GRID_SIZE), new Int32Array(GRID_SIZE)];
  private readonly totals: Float64Array[] = [new Float64Array(GRID_SIZE), new Float64Array(GRID_SIZE)];

  /** @param maxOrderId - the largest order id that will be submitted. */
  constructor(maxOrderId: number) {
    this.remaining = new Int32Array(maxOrderId + 1);
    this.orderSide = new Uint8Array(maxOrderId + 1);
    this.orderPx = new Int32Array(maxOrderId + 1);
    this.pos = new Int32Array(maxOrderId + 1).fill(-1);
    for (let s = 0; s < 2; s++) for (let i = 0; i < GRID_SIZE; i++) this.queues[s]!.push([]);
  }

  /** Number of resting orders. */
  get restingCount(): number {
    return this.resting.length;
  }

  /** A limit order: trades against the opposite side up to its price, then rests. Returns traded lots. */
  limit(id: number, side: number, price: number, qty: number): number {
    const left = this.take(side, price, qty);
    if (left > 0) {
      const idx = price - GRID_LOW;
      this.remaining[id] = left;
      this.orderSide[id] = side;
      this.orderPx[id] = price;
      this.queues[side]![idx]!.push(id);
      this.totals[side]![idx]! += left;
      this.pos[id] = this.resting.length;
      this.resting.push(id);
    }
    return qty - left;
  }

  /** A market order; the unfilled rest is discarded. Returns traded lots. */
  market(side: number, qty: number): number {
    return qty - this.take(side, side === BUY ? Infinity : -Infinity, qty);
  }

  /** Remaining quantity of a resting order in lots; 0 if it does not rest. */
  remainingOf(id: number): number {
    return this.remaining[id] ?? 0;
  }

  /** Side code (BUY/SELL) of an order that was submitted. */
  sideOf(id: number): number {
    return this.orderSide[id] ?? 0;
  }

  /** Limit price of an order that was submitted, in ticks. */
  priceOf(id: number): number {
    return this.orderPx[id] ?? 0;
  }

  /** Cancels a resting order. Returns false if the id does not rest. */
  cancel(id: number): boolean {
    const left = this.remaining[id]!;
    if (left <= 0) return false;
    this.totals[this.orderSide[id]!]![this.orderPx[id]! - GRID_LOW]! -= left;
    this.remaining[id] = 0;
    this.leave(id);
    this.cancels++;
    return true;
  }

  /** Final depth, best first: `[bids, asks]`. */
  depth(): { bids: DepthPair[]; asks: DepthPair[] } {
    const bids: DepthPair[] = [];
    const asks: DepthPair[] = [];
    for (let i = GRID_SIZE - 1; i >= 0; i--) if (this.totals[BUY]![i]! > 0) bids.push([GRID_LOW + i, this.totals[BUY]![i]!]);
    for (let i = 0; i < GRID_SIZE; i++) if (this.totals[SELL]![i]! > 0) asks.push([GRID_LOW + i, this.totals[SELL]![i]!]);
    return { bids, asks };
  }

  /** Trades an incoming order of `side` up to `limit` (±Infinity for market); returns the unfilled rest. */
  private take(side: number, limit: number, qty: number): number {
    const opp = side === BUY ? SELL : BUY;
    const totals = this.totals[opp]!;
    let left = qty;
    for (let k = 0; k < GRID_SIZE && left > 0; k++) {
      const idx = opp === SELL ? k : GRID_SIZE - 1 - k;
      const px = GRID_LOW + idx;
      if (side === BUY ? px > limit : px < limit) break;
      if (totals[idx] === 0) continue;
      const queue = this.queues[opp]![idx]!;
      let head = this.heads[opp]![idx]!;
      while (left > 0 && head < queue.length) {
        const maker = queue[head]!;
        const rem = this.remaining[maker]!;
        if (rem === 0) {
          head++;
          continue;
        }
        const q = Math.min(rem, left);
        this.remaining[maker] = rem - q;
        totals[idx]! -= q;
        left -= q;
        this.tradedQty += q;
        if (rem === q) {
          this.leave(maker);
          head++;
        }
      }
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      } else if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      this.heads[opp]![idx] = head;
    }
    return left;
  }

  private leave(id: number): void {
    const p = this.pos[id]!;
    const last = this.resting.pop()!;
    if (last !== id) {
      this.resting[p] = last;
      this.pos[last] = p;
    }
    this.pos[id] = -1;
  }
}
