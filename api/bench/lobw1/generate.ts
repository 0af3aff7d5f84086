/**
 * LOBW1 stream generator (see /work/shared/bench/LOBW1.md).
 *
 * The stream is five parallel typed arrays, the layout the LOBW1 fingerprint is taken over:
 * - `type` u8: {@link OP_LIMIT} 0, {@link OP_CANCEL} 1, {@link OP_MARKET} 2;
 * - `side` u8: BUY 0, SELL 1;
 * - `price` i32 ticks; `qty` i32 lots; `id` i32.
 * A limit row carries its own id, side, price and quantity. A cancel row carries the target's id,
 * side, price and its remaining quantity at the time of the cancel. A market row has price 0 and
 * id 0. With this encoding the 1M-op uniform stream for seed 42 hashes to
 * {@link LOBW1_UNIFORM_1M_SHA256}.
 */
import { mulberry32, LOBW1_SEED } from './prng.js';
import { BUY, GRID_LOW, GRID_SIZE, Lobw1Model, MID, SELL, type DepthPair } from './model.js';

export const OP_LIMIT = 0;
export const OP_CANCEL = 1;
export const OP_MARKET = 2;

/** `uniform`: limit prices uniform over the grid. `deep`: mostly passive limit prices. */
export type Lobw1Profile = 'uniform' | 'deep';

/** sha256 of the 1,000,000-op uniform stream for seed 42. */
export const LOBW1_UNIFORM_1M_SHA256 = '72cf02ea501148b8c4aa3096d52498c0ae7847bc2c1a8e10c2a98bcc6e706edd';

/** What a correct engine must end with after the whole stream. */
export interface Lobw1Expected {
  /** Total traded quantity in lots. */
  readonly tradedQty: number;
  /** Successful cancels (every cancel row targets a resting order). */
  readonly cancels: number;
  readonly limits: number;
  readonly markets: number;
  /** Orders resting at the end. */
  readonly restingCount: number;
  /** Final depth, best first: [price, total qty]. */
  readonly bids: readonly DepthPair[];
  readonly asks: readonly DepthPair[];
}

export interface Lobw1Stream {
  readonly profile: Lobw1Profile;
  readonly length: number;
  readonly type: Uint8Array;
  readonly side: Uint8Array;
  readonly price: Int32Array;
  readonly qty: Int32Array;
  readonly id: Int32Array;
  /** Largest limit order id in the stream. */
  readonly maxOrderId: number;
  readonly expected: Lobw1Expected;
}

/**
 * Generates `n` LOBW1 operations for `profile` against the reference model. Deterministic:
 * a stream of n ops is the prefix of every longer stream with the same profile and seed.
 */
export function generateLobw1(n: number, profile: Lobw1Profile, seed: number = LOBW1_SEED): Lobw1Stream {
  const rng = mulberry32(seed);
  const int = (k: number): number => Math.floor(rng() * k);
  const type = new Uint8Array(n);
  const side = new Uint8Array(n);
  const price = new Int32Array(n);
  const qty = new Int32Array(n);
  const id = new Int32Array(n);
  const model = new Lobw1Model(n);
  let nextId = 1;
  let limits = 0;
  let markets = 0;

  const limit = (i: number): void => {
    const s = rng() < 0.5 ? BUY : SELL;
    let p: number;
    if (profile === 'deep') {
      const off = int(51) - 5;
      p = s === BUY ? MID - off : MID + off;
    } else {
      p = GRID_LOW + int(GRID_SIZE);
    }
    const q = 1 + int(100);
    type[i] = OP_LIMIT;
    side[i] = s;
    price[i] = p;
    qty[i] = q;
    id[i] = nextId;
    model.limit(nextId++, s, p, q);
    limits++;
  };

  for (let i = 0; i < n; i++) {
    const u = rng();
    if (u < 0.7) {
      limit(i);
    } else if (u < 0.9) {
      if (model.restingCount === 0) {
        limit(i);
        continue;
      }
      const target = model.resting[int(model.restingCount)]!;
      type[i] = OP_CANCEL;
      side[i] = model.sideOf(target);
      price[i] = model.priceOf(target);
      qty[i] = model.remainingOf(target);
      id[i] = target;
      model.cancel(target);
    } else {
      const s = rng() < 0.5 ? BUY : SELL;
      const q = 1 + int(100);
      type[i] = OP_MARKET;
      side[i] = s;
      qty[i] = q;
      model.market(s, q);
      markets++;
    }
  }
  const depth = model.depth();
  return {
    profile,
    length: n,
    type,
    side,
    price,
    qty,
    id,
    maxOrderId: nextId - 1,
    expected: {
      tradedQty: model.tradedQty,
      cancels: model.cancels,
      limits,
      markets,
      restingCount: model.restingCount,
      bids: depth.bids,
      asks: depth.asks,
    },
  };
}

/** The byte views the LOBW1 fingerprint hashes, in order: type, side, price, qty, id. */
export function fingerprintViews(stream: Lobw1Stream): Uint8Array[] {
  return [stream.type, stream.side, stream.price, stream.qty, stream.id].map(
    (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
  );
}
