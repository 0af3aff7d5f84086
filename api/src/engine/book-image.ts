/**
 * A book image: every resting order of a book in priority order as one flat Float64Array, with
 * the seq and last trade — what a snapshot stores. Copying a book into an image costs one pass
 * and no object per order, so taking it between two transactions barely pauses matching; the
 * image's state hash ({@link ImageHasher}) can then be computed a slice at a time, and equals
 * {@link OrderBook.stateHash} of the book it was taken from.
 */
import { Fnv1a64 } from './state-hash.js';
import type { LastTrade } from './types.js';

/**
 * Numbers per order in {@link BookImage.orders}: orderId, account, flags (1 = SELL, 2 = DAY),
 * price (ticks), qty, cumQty (lots), cumNotional (ticks × lots).
 */
export const IMAGE_FIELDS = 7;
/** Flag bit of an image's flags field: the order is a SELL. */
export const IMAGE_SELL = 1;
/** Flag bit of an image's flags field: the order is a DAY order (clear: GTC). */
export const IMAGE_DAY = 2;

/** A book's complete state at one seq (see the module comment). */
export interface BookImage {
  readonly seq: number;
  /** {@link IMAGE_FIELDS} numbers per resting order: bids best → worst price, FIFO within a price, then asks. */
  readonly orders: Float64Array;
  readonly lastTrade?: LastTrade;
}

/** Number of orders in an image. */
export const imageSize = (image: BookImage): number => image.orders.length / IMAGE_FIELDS;

/**
 * The state hash of an image, computed incrementally: {@link step} hashes up to `n` more orders
 * (so a caller can yield between slices), {@link digest} the result once done. Mixes exactly
 * what {@link OrderBook.stateHash} mixes, in the same order.
 */
export class ImageHasher {
  private readonly h = new Fnv1a64();
  private next = 0;
  private readonly count: number;

  constructor(private readonly image: BookImage) {
    this.count = imageSize(image);
    this.h.string('LOB1').number(image.seq).number(this.count);
  }

  /** Hashes up to `n` more orders; true once every order is hashed. */
  step(n: number): boolean {
    const o = this.image.orders;
    const end = Math.min(this.count, this.next + n);
    for (let i = this.next; i < end; i++) {
      const b = i * IMAGE_FIELDS;
      const f = o[b + 2]!;
      this.h
        .number(o[b]!)
        .number(o[b + 1]!)
        .byte(f & IMAGE_SELL)
        .byte(f & IMAGE_DAY)
        .number(o[b + 3]!)
        .number(o[b + 4]!)
        .number(o[b + 5]!)
        .number(o[b + 6]!);
    }
    this.next = end;
    return end === this.count;
  }

  /** The hash (16 hex digits); hashes whatever orders are left first. */
  digest(): string {
    this.step(Infinity);
    const t = this.image.lastTrade;
    if (t !== undefined) this.h.byte(1).number(t.price).number(t.qty).number(t.tradeId).number(t.timestamp);
    else this.h.byte(0);
    return this.h.digest();
  }
}

/** The state hash of an image, in one go (equals the book's {@link OrderBook.stateHash}). */
export function imageStateHash(image: BookImage): string {
  return new ImageHasher(image).digest();
}
