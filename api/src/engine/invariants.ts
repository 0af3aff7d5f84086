/**
 * Internal consistency checks for an {@link OrderBook}, in the spirit of exchange-core's
 * `validateInternalState()`. Tests run it after every command; it is O(N + L log L).
 */
import type { OrderBook } from './order-book.js';
import { FLAG_DAY, FLAG_SELL, NIL } from './order-store.js';
import type { PriceLevels } from './price-levels.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Throws an Error naming the first violated invariant:
 * - each side's heap is a valid heap, positions and the price map agree with it;
 * - every live level is non-empty, its FIFO links are consistent both ways, its total is a safe
 *   integer equal to the exact sum of its orders' leaves and its count their number;
 * - every resting order's cumNotional + price × leaves is at most 2^53 − 1;
 * - every resting order has integer leaves > 0, cumQty ≥ 0, belongs to its level and side,
 *   and the id index maps exactly the resting orders to their slots;
 * - the book is not crossed (best bid < best ask);
 * - the DAY-order count, the slot accounting and seq (≥ last trade id) are consistent.
 */
export function assertBookInvariants(book: OrderBook): void {
  const { store, bids, asks, seq, dayCount, lastTradeId } = book.internals;
  const fail = (msg: string): never => {
    throw new Error(`book ${book.symbol} invariant violated: ${msg}`);
  };
  if (!Number.isSafeInteger(seq) || seq < 0) fail(`seq ${seq} is not a non-negative integer`);
  if (lastTradeId !== undefined && (lastTradeId > seq || lastTradeId <= 0)) fail(`last trade id ${lastTradeId} vs seq ${seq}`);

  let orders = 0;
  let day = 0;
  const checkSide = (levels: PriceLevels, name: string): void => {
    const sign = levels.isBid ? -1 : 1;
    if (levels.size !== levels.byPrice.size) fail(`${name}: heap size ${levels.size} != price map size ${levels.byPrice.size}`);
    for (let i = 0; i < levels.size; i++) {
      const lvl = levels.heap[i]!;
      const price = levels.price[lvl]!;
      if (levels.pos[lvl] !== i) fail(`${name}: level ${lvl} heap position ${levels.pos[lvl]} != ${i}`);
      if (levels.key[i] !== sign * price) fail(`${name}: heap key at ${i} does not match price ${price}`);
      if (i > 0 && levels.key[(i - 1) >> 1]! >= levels.key[i]!) fail(`${name}: heap order broken at ${i}`);
      if (levels.byPrice.get(price) !== lvl) fail(`${name}: price map does not point at level ${lvl} for ${price}`);
      if (!Number.isSafeInteger(price) || price <= 0) fail(`${name}: bad level price ${price}`);
      let n = 0;
      let total = 0n;
      let prev = NIL;
      for (let o = levels.head[lvl]!; o !== NIL; o = store.next(o)) {
        const id = store.orderId(o);
        if (store.prev(o) !== prev) fail(`${name} ${price}: order ${id} prev link broken`);
        if (store.level(o) !== lvl) fail(`${name} ${price}: order ${id} records level ${store.level(o)} not ${lvl}`);
        if (Boolean(store.flags(o) & FLAG_SELL) === levels.isBid) fail(`${name} ${price}: order ${id} is on the wrong side`);
        const leaves = store.qty(o) - store.cumQty(o);
        if (!Number.isSafeInteger(leaves) || leaves <= 0) fail(`${name} ${price}: order ${id} rests with leaves ${leaves}`);
        if (!(store.cumQty(o) >= 0)) fail(`${name} ${price}: order ${id} has cumQty ${store.cumQty(o)}`);
        if (store.find(id) !== o) fail(`${name} ${price}: order ${id} not indexed at its slot`);
        if (store.flags(o) & FLAG_DAY) day++;
        const notional = store.cumNotional(o);
        if (!Number.isSafeInteger(notional) || BigInt(notional) + BigInt(price) * BigInt(leaves) > MAX_SAFE) {
          fail(`${name} ${price}: order ${id} has cumNotional ${notional} + price × leaves beyond 2^53 − 1`);
        }
        total += BigInt(leaves);
        n++;
        prev = o;
        if (n > store.size) fail(`${name} ${price}: FIFO has a cycle`);
      }
      if (levels.tail[lvl] !== prev) fail(`${name} ${price}: tail link broken`);
      if (n === 0) fail(`${name} ${price}: empty level is live`);
      if (n !== levels.count[lvl]) fail(`${name} ${price}: count ${levels.count[lvl]} but ${n} orders`);
      if (!Number.isSafeInteger(levels.total[lvl]) || total !== BigInt(levels.total[lvl]!)) fail(`${name} ${price}: total ${levels.total[lvl]} but orders sum to ${total}`);
      orders += n;
    }
  };
  checkSide(bids, 'bids');
  checkSide(asks, 'asks');

  if (orders !== store.size) fail(`${orders} orders in levels but ${store.size} indexed`);
  if (day !== dayCount) fail(`DAY count ${dayCount} but ${day} DAY orders rest`);
  if (orders + store.freeSlots() !== store.allocated) fail('slot accounting: resting + free != allocated');
  if (bids.size > 0 && asks.size > 0) {
    const bid = bids.price[bids.heap[0]!]!;
    const ask = asks.price[asks.heap[0]!]!;
    if (bid >= ask) fail(`crossed at rest: bid ${bid} >= ask ${ask}`);
  }
}
