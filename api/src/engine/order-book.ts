/**
 * One symbol's limit order book: price-time priority matching, pure and deterministic.
 */
import { FLAG_DAY, FLAG_SELL, NIL, OrderStore } from './order-store.js';
import { PriceLevels } from './price-levels.js';
import { isPositiveSafeInteger, isTimeInForce, liveStatus, orderState } from './order-state.js';
import { Fnv1a64 } from './state-hash.js';
import { IMAGE_DAY, IMAGE_FIELDS, IMAGE_SELL, type BookImage } from './book-image.js';
import { DEFAULT_MAX_ORDER_QTY, DEFAULT_MAX_RESTING_ORDERS, REQUESTED_CANCEL_REASONS } from './types.js';
import type {
  AmendCommand,
  BookOptions,
  CancelCommand,
  CancelReason,
  CanceledEvent,
  Command,
  CommandResult,
  Depth,
  DepthLevel,
  EngineEvent,
  ExpireDayCommand,
  LastTrade,
  NewOrderCommand,
  OrdType,
  OrderState,
  RejectedEvent,
  RestingOrder,
  ResultCode,
  SelfTradePrevention,
  Side,
  TimeInForce,
} from './types.js';

const NO_EVENTS: readonly EngineEvent[] = Object.freeze([]);

/** Largest exact notional (ticks × lots): every order's cumNotional + price × leaves stays at or below it. */
const MAX_NOTIONAL = Number.MAX_SAFE_INTEGER;

/** Why matching stopped before the taker was filled or ran out of crossing liquidity. */
type MatchStop = 'SELF_TRADE' | 'NOTIONAL_LIMIT' | 'PRICE_BAND' | undefined;

/** The order being matched (incoming, or an amended order that lost priority). Reused, never escapes. */
class Taker {
  orderId = 0;
  account = 0;
  side: Side = 'BUY';
  ordType: OrdType = 'LIMIT';
  tif: TimeInForce = 'GTC';
  /** Limit price in ticks; 0 for MARKET. */
  price = 0;
  /** Worst price it may trade at (NewOrderCommand.bandPrice); 0 = no band. */
  band = 0;
  qty = 0;
  cumQty = 0;
  cumNotional = 0;

  state(): OrderState {
    return orderState(
      this.orderId,
      this.account,
      this.side,
      this.ordType,
      this.tif,
      this.price,
      this.qty,
      this.cumQty,
      this.qty - this.cumQty,
      this.cumNotional,
      liveStatus(this.qty, this.cumQty),
    );
  }

  /** The state after its remaining quantity was removed. */
  doneState(status: 'CANCELED' | 'EXPIRED'): OrderState {
    return orderState(
      this.orderId,
      this.account,
      this.side,
      this.ordType,
      this.tif,
      this.price,
      this.qty,
      this.cumQty,
      0,
      this.cumNotional,
      status,
    );
  }
}

/**
 * Internal structures, exposed only for {@link assertBookInvariants}.
 * @internal
 */
export interface BookInternals {
  readonly store: OrderStore;
  readonly bids: PriceLevels;
  readonly asks: PriceLevels;
  readonly seq: number;
  readonly dayCount: number;
  readonly lastTradeId: number | undefined;
}

/**
 * A limit order book for one symbol.
 *
 * - {@link OrderBook.execute} is the only method that changes state. It never throws for bad
 *   input: it returns a result code (and one `rejected` event) instead; an exception means a bug.
 * - Prices are integer ticks, quantities integer lots, notionals ticks × lots, all exact
 *   integers below 2^53: a quantity is at most `maxOrderQty` and at most `maxRestingOrders`
 *   rest, whose product is at most 2^53 − 1 (so level totals are exact); a taker's fills stop
 *   where its notional would pass 2^53 − 1 (NOTIONAL_LIMIT), and an order rests only while
 *   cumNotional + price × leaves ≤ 2^53 − 1, so its fills as a maker stay exact too.
 * - Deterministic: the same commands give the same events and {@link OrderBook.stateHash}. No
 *   clock, no randomness; timestamps are copied from commands.
 *
 * Cost: a new order that rests is O(log L) in the number of price levels L on its side (heap
 * insert when it opens a level, else O(1)); each fill, cancel and STP cancel is O(1) regardless
 * of how many orders share the level (plus O(log L) when it empties a level). Resting orders are
 * stored in typed arrays ({@link OrderStore}), not objects.
 */
export class OrderBook {
  /** The symbol this book trades; informational only. */
  readonly symbol: string;
  private readonly stpDefault: SelfTradePrevention;
  private readonly maxOrderQty: number;
  private readonly maxRestingOrders: number;
  private readonly store = new OrderStore();
  private readonly bids = new PriceLevels(true);
  private readonly asks = new PriceLevels(false);
  private seqNo = 0;
  private dayCount = 0;
  private hasLastTrade = false;
  private lastPx = 0;
  private lastQty = 0;
  private lastTradeId = 0;
  private lastTs = 0;
  private readonly taker = new Taker();

  /**
   * @param symbol - the symbol traded in this book.
   * @param options - `stp`: default self-trade prevention mode (`CANCEL_RESTING` when omitted);
   *   `maxOrderQty` and `maxRestingOrders`: the limits that keep every sum exact.
   * @throws RangeError if `options.stp` is not a known mode, or the limits are not positive safe
   *   integers whose product is at most 2^53 − 1 (a configuration bug).
   */
  constructor(symbol: string, options: BookOptions = {}) {
    const stp = options.stp ?? 'CANCEL_RESTING';
    if (stp !== 'CANCEL_RESTING' && stp !== 'CANCEL_INCOMING') {
      throw new RangeError(`OrderBook ${symbol}: unknown stp mode ${String(stp)}`);
    }
    const maxOrderQty = options.maxOrderQty ?? DEFAULT_MAX_ORDER_QTY;
    const maxRestingOrders = options.maxRestingOrders ?? DEFAULT_MAX_RESTING_ORDERS;
    if (
      !isPositiveSafeInteger(maxOrderQty) ||
      !isPositiveSafeInteger(maxRestingOrders) ||
      BigInt(maxOrderQty) * BigInt(maxRestingOrders) > BigInt(Number.MAX_SAFE_INTEGER)
    ) {
      throw new RangeError(`OrderBook ${symbol}: maxOrderQty ${maxOrderQty} × maxRestingOrders ${maxRestingOrders} must be at most 2^53 − 1`);
    }
    this.symbol = symbol;
    this.stpDefault = stp;
    this.maxOrderQty = maxOrderQty;
    this.maxRestingOrders = maxRestingOrders;
  }

  /** The sequence number of the last state-changing event (0 for a new book). */
  get seq(): number {
    return this.seqNo;
  }

  /** Number of resting orders (both sides). */
  get restingCount(): number {
    return this.store.size;
  }

  /**
   * Applies one command and returns its result code and events (see types.ts for the event
   * vocabulary). The only entry point that changes the book.
   *
   * Validation precedence for `new`: INVALID_ORDER_ID, INVALID_COMMAND, INVALID_QUANTITY,
   * QUANTITY_TOO_LARGE, INVALID_TIME_IN_FORCE, INVALID_PRICE, DUPLICATE_ORDER_ID,
   * POST_ONLY_WOULD_TAKE.
   * For `cancel`: INVALID_ORDER_ID, UNKNOWN_ORDER, NOT_OWNER.
   * For `amend`: INVALID_ORDER_ID, INVALID_QUANTITY, QUANTITY_TOO_LARGE, INVALID_PRICE,
   * UNKNOWN_ORDER, NOT_OWNER, AMEND_BELOW_FILLED.
   * A command that is not an object or has an unknown `type` returns INVALID_COMMAND with no event.
   */
  execute(cmd: Command): CommandResult {
    if (typeof cmd !== 'object' || cmd === null) return { code: 'INVALID_COMMAND', events: NO_EVENTS };
    switch (cmd.type) {
      case 'new':
        return this.newOrder(cmd);
      case 'cancel':
        return this.cancel(cmd);
      case 'amend':
        return this.amend(cmd);
      case 'expireDay':
        return this.expireDay(cmd);
      default:
        return { code: 'INVALID_COMMAND', events: NO_EVENTS };
    }
  }

  /** Best (highest) bid price in ticks, or undefined when there is no bid. */
  bestBid(): number | undefined {
    return this.bids.size > 0 ? this.bids.price[this.bids.heap[0]!] : undefined;
  }

  /** Best (lowest) ask price in ticks, or undefined when there is no ask. */
  bestAsk(): number | undefined {
    return this.asks.size > 0 ? this.asks.price[this.asks.heap[0]!] : undefined;
  }

  /**
   * L2 depth: up to `levels` price levels per side, best first, each with total leaves quantity
   * and order count, plus the seq it reflects. `levels` is floored; NaN or negative gives none;
   * `Infinity` gives all. Cost O(n log n) for n levels returned.
   */
  depth(levels: number): Depth {
    const n = levels >= 0 ? Math.floor(levels) : 0;
    return { bids: this.depthSide(this.bids, n), asks: this.depthSide(this.asks, n), seq: this.seqNo };
  }

  /** The last trade (price ticks, qty lots, tradeId = its seq, timestamp), or undefined if none yet. */
  lastTrade(): LastTrade | undefined {
    if (!this.hasLastTrade) return undefined;
    return { price: this.lastPx, qty: this.lastQty, tradeId: this.lastTradeId, timestamp: this.lastTs };
  }

  /** The current state of a resting order, or undefined if `orderId` is not resting. */
  getOrder(orderId: number): OrderState | undefined {
    if (!isPositiveSafeInteger(orderId)) return undefined;
    const slot = this.store.find(orderId);
    return slot === NIL ? undefined : this.restingState(slot);
  }

  /**
   * Every resting order in priority order: bids best → worst price, FIFO within a price, then
   * asks best → worst, FIFO. Feeding this to {@link OrderBook.restore} rebuilds an identical book.
   */
  restingOrders(): RestingOrder[] {
    const out: RestingOrder[] = [];
    this.forEachResting((slot, price, side) => {
      const s = this.store;
      out.push({
        orderId: s.orderId(slot),
        account: s.account(slot),
        side,
        tif: s.flags(slot) & FLAG_DAY ? 'DAY' : 'GTC',
        price,
        qty: s.qty(slot),
        cumQty: s.cumQty(slot),
        cumNotional: s.cumNotional(slot),
      });
    });
    return out;
  }

  /**
   * A 64-bit FNV-1a hash (16 hex digits) of seq, the resting orders in priority order (id,
   * account, side, tif, price, qty, cumQty, cumNotional) and the last trade. Two books with
   * the same hash agree on everything that affects future matching. O(N + L log L).
   */
  stateHash(): string {
    const h = new Fnv1a64();
    h.string('LOB1').number(this.seqNo).number(this.store.size);
    const s = this.store;
    this.forEachResting((slot, price) => {
      const f = s.flags(slot);
      h.number(s.orderId(slot))
        .number(s.account(slot))
        .byte(f & FLAG_SELL)
        .byte(f & FLAG_DAY)
        .number(price)
        .number(s.qty(slot))
        .number(s.cumQty(slot))
        .number(s.cumNotional(slot));
    });
    if (this.hasLastTrade) {
      h.byte(1).number(this.lastPx).number(this.lastQty).number(this.lastTradeId).number(this.lastTs);
    } else {
      h.byte(0);
    }
    return h.digest();
  }

  /**
   * Recovery: rebuilds a book from resting orders (e.g. the database's open orders). Orders at
   * the same price and side queue in the order given, so pass them in priority order (as
   * {@link OrderBook.restingOrders} returns them). `seq` becomes the book's sequence number.
   *
   * @throws RangeError on corrupt input (bad numbers, duplicate id, cumQty ≥ qty, a tif other
   *   than GTC/DAY, a crossed book, a last trade newer than seq): recovery data that violates the
   *   book's invariants is a bug upstream, not a user error.
   */
  static restore(
    symbol: string,
    orders: readonly RestingOrder[],
    seq: number,
    options?: BookOptions,
    lastTrade?: LastTrade,
  ): OrderBook {
    const book = new OrderBook(symbol, options);
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`restore ${symbol}: bad seq ${seq}`);
    for (const o of orders) book.restoreOne(o.orderId, o.account, o.side, o.tif, o.price, o.qty, o.cumQty, o.cumNotional);
    book.finishRestore(seq, lastTrade);
    return book;
  }

  /**
   * Every resting order in priority order as a flat image (see {@link BookImage}): one pass,
   * no object per order. {@link OrderBook.restoreImage} rebuilds an identical book from it.
   */
  image(): BookImage {
    const out = new Float64Array(this.store.size * IMAGE_FIELDS);
    const s = this.store;
    let i = 0;
    this.forEachResting((slot, price) => {
      const f = s.flags(slot);
      out[i] = s.orderId(slot);
      out[i + 1] = s.account(slot);
      out[i + 2] = (f & FLAG_SELL ? IMAGE_SELL : 0) | (f & FLAG_DAY ? IMAGE_DAY : 0);
      out[i + 3] = price;
      out[i + 4] = s.qty(slot);
      out[i + 5] = s.cumQty(slot);
      out[i + 6] = s.cumNotional(slot);
      i += IMAGE_FIELDS;
    });
    const lastTrade = this.lastTrade();
    return lastTrade === undefined ? { seq: this.seqNo, orders: out } : { seq: this.seqNo, orders: out, lastTrade };
  }

  /**
   * Recovery from an image (a snapshot): as {@link OrderBook.restore}, with the same checks,
   * without an object per order.
   *
   * @throws RangeError on corrupt input, as {@link OrderBook.restore}.
   */
  static restoreImage(symbol: string, image: BookImage, options?: BookOptions): OrderBook {
    const book = new OrderBook(symbol, options);
    const { seq, orders: o } = image;
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`restore ${symbol}: bad seq ${seq}`);
    if (o.length % IMAGE_FIELDS !== 0) throw new RangeError(`restore ${symbol}: image length ${o.length} is not a multiple of ${IMAGE_FIELDS}`);
    for (let b = 0; b < o.length; b += IMAGE_FIELDS) {
      const f = o[b + 2]!;
      if (f !== (f & (IMAGE_SELL | IMAGE_DAY))) throw new RangeError(`restore ${symbol}: order ${String(o[b])}: bad flags`);
      book.restoreOne(o[b]!, o[b + 1]!, f & IMAGE_SELL ? 'SELL' : 'BUY', f & IMAGE_DAY ? 'DAY' : 'GTC', o[b + 3]!, o[b + 4]!, o[b + 5]!, o[b + 6]!);
    }
    book.finishRestore(seq, image.lastTrade);
    return book;
  }

  /** Checks and rests one recovered order (see {@link OrderBook.restore}). */
  private restoreOne(orderId: number, account: number, side: Side, tif: TimeInForce, price: number, qty: number, cumQty: number, cumNotional: number): void {
    let bad: string | undefined;
    if (!isPositiveSafeInteger(orderId)) bad = 'bad orderId';
    else if (!Number.isSafeInteger(account)) bad = 'bad account';
    else if (side !== 'BUY' && side !== 'SELL') bad = 'bad side';
    else if (tif !== 'GTC' && tif !== 'DAY') bad = 'only GTC and DAY orders rest';
    else if (!isPositiveSafeInteger(price)) bad = 'bad price';
    else if (!isPositiveSafeInteger(qty)) bad = 'bad qty';
    else if (!Number.isSafeInteger(cumQty) || cumQty < 0 || cumQty >= qty) bad = 'cumQty must be in [0, qty)';
    else if (!Number.isSafeInteger(cumNotional) || cumNotional < 0) bad = 'bad cumNotional';
    else if (this.store.find(orderId) !== NIL) bad = 'duplicate orderId';
    if (bad !== undefined) throw new RangeError(`restore ${this.symbol}: order ${String(orderId)}: ${bad}`);
    this.rest(orderId, account, side, tif, price, qty, cumQty, cumNotional);
  }

  /** The end of a recovery: the book must not be crossed; seq and last trade are set. */
  private finishRestore(seq: number, lastTrade: LastTrade | undefined): void {
    const bid = this.bestBid();
    const ask = this.bestAsk();
    if (bid !== undefined && ask !== undefined && bid >= ask) {
      throw new RangeError(`restore ${this.symbol}: crossed book (bid ${bid} >= ask ${ask})`);
    }
    this.seqNo = seq;
    if (lastTrade !== undefined) {
      const { price, qty, tradeId, timestamp } = lastTrade;
      if (!isPositiveSafeInteger(price) || !isPositiveSafeInteger(qty) || !isPositiveSafeInteger(tradeId) || tradeId > seq) {
        throw new RangeError(`restore ${this.symbol}: bad lastTrade`);
      }
      this.hasLastTrade = true;
      this.lastPx = price;
      this.lastQty = qty;
      this.lastTradeId = tradeId;
      this.lastTs = timestamp;
    }
  }

  /** @internal For {@link assertBookInvariants} only. */
  get internals(): BookInternals {
    return {
      store: this.store,
      bids: this.bids,
      asks: this.asks,
      seq: this.seqNo,
      dayCount: this.dayCount,
      lastTradeId: this.hasLastTrade ? this.lastTradeId : undefined,
    };
  }

  // ---- commands -------------------------------------------------------------------------------

  private newOrder(cmd: NewOrderCommand): CommandResult {
    const { orderId, side, ordType, tif, qty, timestamp: ts } = cmd;
    if (!isPositiveSafeInteger(orderId)) return this.reject('new', orderId, 'INVALID_ORDER_ID', ts);
    const stp = cmd.stp ?? this.stpDefault;
    const postOnly = cmd.postOnly;
    if (
      (side !== 'BUY' && side !== 'SELL') ||
      (ordType !== 'LIMIT' && ordType !== 'MARKET') ||
      !Number.isSafeInteger(cmd.account) ||
      (stp !== 'CANCEL_RESTING' && stp !== 'CANCEL_INCOMING') ||
      (postOnly !== undefined && typeof postOnly !== 'boolean') ||
      (ordType === 'MARKET' && postOnly === true)
    ) {
      return this.reject('new', orderId, 'INVALID_COMMAND', ts);
    }
    if (!isPositiveSafeInteger(qty)) return this.reject('new', orderId, 'INVALID_QUANTITY', ts);
    if (qty > this.maxOrderQty) return this.reject('new', orderId, 'QUANTITY_TOO_LARGE', ts);
    const market = ordType === 'MARKET';
    if (!isTimeInForce(tif) || (market && tif !== 'IOC' && tif !== 'FOK')) {
      return this.reject('new', orderId, 'INVALID_TIME_IN_FORCE', ts);
    }
    const price = cmd.price;
    if (market ? price !== undefined && price !== 0 : !isPositiveSafeInteger(price)) {
      return this.reject('new', orderId, 'INVALID_PRICE', ts);
    }
    if (cmd.bandPrice !== undefined && !isPositiveSafeInteger(cmd.bandPrice)) return this.reject('new', orderId, 'INVALID_PRICE', ts);
    if (this.store.find(orderId) !== NIL) return this.reject('new', orderId, 'DUPLICATE_ORDER_ID', ts);
    const isBuy = side === 'BUY';
    const opp = isBuy ? this.asks : this.bids;
    const limit = market ? 0 : (price as number);
    if (postOnly === true && opp.size > 0) {
      const best = opp.price[opp.heap[0]!]!;
      if (isBuy ? best <= limit : best >= limit) return this.reject('new', orderId, 'POST_ONLY_WOULD_TAKE', ts);
    }

    const t = this.taker;
    t.orderId = orderId;
    t.account = cmd.account;
    t.side = side;
    t.ordType = ordType;
    t.tif = tif;
    t.price = limit;
    t.band = cmd.bandPrice ?? 0;
    t.qty = qty;
    t.cumQty = 0;
    t.cumNotional = 0;
    const events: EngineEvent[] = [{ type: 'accepted', seq: ++this.seqNo, timestamp: ts, order: t.state() }];
    const cancelIncoming = stp === 'CANCEL_INCOMING';

    if (tif === 'FOK' && !this.fokFillable(t, cancelIncoming)) {
      events.push(this.takerCanceled(t, 'FOK_UNFILLABLE', ts));
      return { code: 'OK', events };
    }
    const stopped = this.match(events, t, cancelIncoming, ts);
    if (t.cumQty < qty) {
      if (stopped !== undefined) events.push(this.takerCanceled(t, stopped, ts));
      else if (market) events.push(this.takerCanceled(t, 'MARKET_REMAINDER', ts));
      else if (tif === 'IOC' || tif === 'FOK') events.push(this.takerCanceled(t, 'IOC_REMAINDER', ts));
      else if (!this.fitsNotional(t.cumNotional, limit, qty - t.cumQty)) events.push(this.takerCanceled(t, 'NOTIONAL_LIMIT', ts));
      else if (this.store.size >= this.maxRestingOrders) events.push(this.takerCanceled(t, 'BOOK_FULL', ts));
      else this.rest(orderId, t.account, side, tif, limit, qty, t.cumQty, t.cumNotional);
    }
    return { code: 'OK', events };
  }

  private cancel(cmd: CancelCommand): CommandResult {
    const { orderId, timestamp: ts } = cmd;
    if (!isPositiveSafeInteger(orderId)) return this.reject('cancel', orderId, 'INVALID_ORDER_ID', ts);
    const slot = this.store.find(orderId);
    if (slot === NIL) return this.reject('cancel', orderId, 'UNKNOWN_ORDER', ts);
    if (cmd.account !== undefined && cmd.account !== this.store.account(slot)) {
      return this.reject('cancel', orderId, 'NOT_OWNER', ts);
    }
    if (cmd.reason !== undefined && !REQUESTED_CANCEL_REASONS.includes(cmd.reason)) return this.reject('cancel', orderId, 'INVALID_COMMAND', ts);
    return { code: 'OK', events: [this.removeResting(slot, cmd.reason ?? 'USER', ts)] };
  }

  private amend(cmd: AmendCommand): CommandResult {
    const { orderId, qty, timestamp: ts } = cmd;
    if (!isPositiveSafeInteger(orderId)) return this.reject('amend', orderId, 'INVALID_ORDER_ID', ts);
    if (!isPositiveSafeInteger(qty)) return this.reject('amend', orderId, 'INVALID_QUANTITY', ts);
    if (qty > this.maxOrderQty) return this.reject('amend', orderId, 'QUANTITY_TOO_LARGE', ts);
    if (cmd.price !== undefined && !isPositiveSafeInteger(cmd.price)) {
      return this.reject('amend', orderId, 'INVALID_PRICE', ts);
    }
    const s = this.store;
    const slot = s.find(orderId);
    if (slot === NIL) return this.reject('amend', orderId, 'UNKNOWN_ORDER', ts);
    if (cmd.account !== undefined && cmd.account !== s.account(slot)) {
      return this.reject('amend', orderId, 'NOT_OWNER', ts);
    }
    const cumQty = s.cumQty(slot);
    if (qty <= cumQty) return this.reject('amend', orderId, 'AMEND_BELOW_FILLED', ts);

    const flags = s.flags(slot);
    const levels = flags & FLAG_SELL ? this.asks : this.bids;
    const oldPrice = levels.price[s.level(slot)]!;
    const newPrice = cmd.price ?? oldPrice;
    const oldQty = s.qty(slot);
    if (newPrice === oldPrice && qty <= oldQty) {
      levels.total[s.level(slot)]! -= oldQty - qty;
      s.setQty(slot, qty);
      return { code: 'OK', events: [{ type: 'amended', seq: ++this.seqNo, timestamp: ts, order: this.restingState(slot), priorityKept: true }] };
    }

    // Loses priority: leave the level, then enter again as a taker at the new price.
    levels.unlink(s, slot, oldQty - cumQty);
    s.setQty(slot, qty);
    const t = this.taker;
    t.orderId = orderId;
    t.account = s.account(slot);
    t.side = flags & FLAG_SELL ? 'SELL' : 'BUY';
    t.ordType = 'LIMIT';
    t.tif = flags & FLAG_DAY ? 'DAY' : 'GTC';
    t.price = newPrice;
    t.band = 0;
    t.qty = qty;
    t.cumQty = cumQty;
    t.cumNotional = s.cumNotional(slot);
    const events: EngineEvent[] = [{ type: 'amended', seq: ++this.seqNo, timestamp: ts, order: t.state(), priorityKept: false }];
    const stopped = this.match(events, t, this.stpDefault === 'CANCEL_INCOMING', ts);
    s.setFills(slot, t.cumQty, t.cumNotional);
    const rejoin: MatchStop = stopped ?? (this.fitsNotional(t.cumNotional, newPrice, qty - t.cumQty) ? undefined : 'NOTIONAL_LIMIT');
    if (t.cumQty === qty) {
      this.forget(slot);
    } else if (rejoin !== undefined) {
      events.push(this.takerCanceled(t, rejoin, ts));
      this.forget(slot);
    } else {
      levels.append(s, slot, levels.levelAt(newPrice), qty - t.cumQty);
    }
    return { code: 'OK', events };
  }

  private expireDay(cmd: ExpireDayCommand): CommandResult {
    if (this.dayCount === 0) return { code: 'OK', events: NO_EVENTS };
    const day: number[] = [];
    const s = this.store;
    this.forEachResting((slot) => {
      if (s.flags(slot) & FLAG_DAY) day.push(slot);
    });
    const events: EngineEvent[] = [];
    for (const slot of day) {
      const order = this.restingState(slot, 'EXPIRED');
      this.unlinkResting(slot);
      events.push({ type: 'expired', seq: ++this.seqNo, timestamp: cmd.timestamp, order });
    }
    return { code: 'OK', events };
  }

  // ---- matching -------------------------------------------------------------------------------

  /**
   * Matches taker `t` against the opposite side until it is filled, its limit is reached or the
   * side is empty, pushing trade (and STP cancel) events. Updates `t.cumQty`/`t.cumNotional`.
   * Returns SELF_TRADE if self-trade prevention (CANCEL_INCOMING) stopped it, NOTIONAL_LIMIT if
   * its notional could take no more (its last fill is cut to what fits), PRICE_BAND if the next
   * level is within its limit but beyond its band price, else undefined.
   * A maker whose cumNotional + price × leaves passes 2^53 − 1 (only a book restored from rows
   * written before that rule) is canceled with NOTIONAL_LIMIT instead of trading.
   */
  private match(events: EngineEvent[], t: Taker, cancelIncoming: boolean, ts: number): MatchStop {
    const isBuy = t.side === 'BUY';
    const opp = isBuy ? this.asks : this.bids;
    const market = t.ordType === 'MARKET';
    const limit = t.price;
    const s = this.store;
    while (t.cumQty < t.qty && opp.size > 0) {
      const lvl = opp.heap[0]!;
      const px = opp.price[lvl]!;
      if (!market && (isBuy ? px > limit : px < limit)) return undefined;
      if (t.band !== 0 && (isBuy ? px > t.band : px < t.band)) return 'PRICE_BAND';
      for (;;) {
        const o = opp.head[lvl]!;
        const makerQty = s.qty(o);
        const makerLeaves = makerQty - s.cumQty(o);
        const own = s.account(o) === t.account;
        if (own && cancelIncoming) return 'SELF_TRADE';
        if (own || !this.fitsNotional(s.cumNotional(o), px, makerLeaves)) {
          const levelGone = opp.count[lvl] === 1;
          events.push(this.removeResting(o, own ? 'SELF_TRADE' : 'NOTIONAL_LIMIT', ts));
          if (levelGone) break;
          continue;
        }
        const need = t.qty - t.cumQty;
        let q = makerLeaves < need ? makerLeaves : need;
        const room = MAX_NOTIONAL - t.cumNotional;
        const capped = q * px > room;
        if (capped) {
          q = Math.floor(room / px);
          while (q * px > room) q--;
          if (q === 0) return 'NOTIONAL_LIMIT';
        }
        s.addFill(o, q, px);
        t.cumQty += q;
        t.cumNotional += q * px;
        const seq = ++this.seqNo;
        this.hasLastTrade = true;
        this.lastPx = px;
        this.lastQty = q;
        this.lastTradeId = seq;
        this.lastTs = ts;
        const makerDone = q === makerLeaves;
        const flags = s.flags(o);
        events.push({
          type: 'trade',
          seq,
          timestamp: ts,
          tradeId: seq,
          price: px,
          qty: q,
          aggressorSide: t.side,
          maker: orderState(
            s.orderId(o),
            s.account(o),
            flags & FLAG_SELL ? 'SELL' : 'BUY',
            'LIMIT',
            flags & FLAG_DAY ? 'DAY' : 'GTC',
            px,
            makerQty,
            s.cumQty(o),
            makerDone ? 0 : makerLeaves - q,
            s.cumNotional(o),
            makerDone ? 'FILLED' : 'PARTIALLY_FILLED',
          ),
          taker: t.state(),
        });
        if (!makerDone) {
          opp.total[lvl]! -= q;
          return capped ? 'NOTIONAL_LIMIT' : undefined;
        }
        if (flags & FLAG_DAY) this.dayCount--;
        const levelGone = opp.unlink(s, o, q);
        s.release(o);
        if (levelGone) break;
        if (t.cumQty === t.qty) return undefined;
      }
    }
    return undefined;
  }

  /** True when `notional + price × leaves` is at most 2^53 − 1 (so every later fill is exact). */
  private fitsNotional(notional: number, price: number, leaves: number): boolean {
    return price * leaves <= MAX_NOTIONAL - notional;
  }

  /**
   * FOK feasibility: can `t` fill entirely within its limit? Orders of the taker's own account
   * are not liquidity; under CANCEL_INCOMING matching would stop at the first of them, so
   * liquidity behind it does not count either, nor does a maker matching would cancel for
   * NOTIONAL_LIMIT; and the fills must keep the taker's notional within 2^53 − 1. Checks level
   * totals first (cheap upper bound), then walks orders only as far as needed.
   */
  private fokFillable(t: Taker, cancelIncoming: boolean): boolean {
    const isBuy = t.side === 'BUY';
    const opp = isBuy ? this.asks : this.bids;
    const market = t.ordType === 'MARKET';
    const within = (lvl: number): boolean => {
      const px = opp.price[lvl]!;
      if (t.band !== 0 && (isBuy ? px > t.band : px < t.band)) return false;
      return market || (isBuy ? px <= t.price : px >= t.price);
    };
    let bound = 0;
    opp.forEachBestFirst((lvl) => {
      if (!within(lvl)) return false;
      bound += opp.total[lvl]!;
      return bound < t.qty;
    });
    if (bound < t.qty) return false;
    const s = this.store;
    let need = t.qty;
    let notional = 0;
    opp.forEachBestFirst((lvl) => {
      if (!within(lvl)) return false;
      const px = opp.price[lvl]!;
      for (let o = opp.head[lvl]!; o !== NIL; o = s.next(o)) {
        if (s.account(o) === t.account) {
          if (cancelIncoming) return false; // matching would stop here
          continue;
        }
        const leaves = s.qty(o) - s.cumQty(o);
        if (!this.fitsNotional(s.cumNotional(o), px, leaves)) continue;
        const q = leaves < need ? leaves : need;
        if (!this.fitsNotional(notional, px, q)) return false; // matching would stop here
        notional += q * px;
        need -= q;
        if (need <= 0) return false;
      }
      return true;
    });
    return need <= 0;
  }

  // ---- resting orders -------------------------------------------------------------------------

  /** Puts an order at the back of its price level. */
  private rest(
    orderId: number,
    account: number,
    side: Side,
    tif: TimeInForce,
    price: number,
    qty: number,
    cumQty: number,
    cumNotional: number,
  ): void {
    const s = this.store;
    const day = tif === 'DAY';
    const slot = s.alloc(orderId, account, qty, cumQty, cumNotional, (side === 'SELL' ? FLAG_SELL : 0) | (day ? FLAG_DAY : 0));
    const levels = side === 'SELL' ? this.asks : this.bids;
    levels.append(s, slot, levels.levelAt(price), qty - cumQty);
    s.index(slot);
    if (day) this.dayCount++;
  }

  /** Cancels a resting order's remaining quantity: emits `canceled` and removes it. */
  private removeResting(slot: number, reason: CancelReason, ts: number): CanceledEvent {
    const s = this.store;
    const canceledQty = s.qty(slot) - s.cumQty(slot);
    const order = this.restingState(slot, 'CANCELED');
    this.unlinkResting(slot);
    return { type: 'canceled', seq: ++this.seqNo, timestamp: ts, order, reason, canceledQty };
  }

  /** Unlinks a resting order from its level and frees its slot. */
  private unlinkResting(slot: number): void {
    const s = this.store;
    const flags = s.flags(slot);
    const levels = flags & FLAG_SELL ? this.asks : this.bids;
    levels.unlink(s, slot, s.qty(slot) - s.cumQty(slot));
    this.forget(slot);
  }

  /** Frees the slot of an order already unlinked from its level. */
  private forget(slot: number): void {
    if (this.store.flags(slot) & FLAG_DAY) this.dayCount--;
    this.store.release(slot);
  }

  /** State of a resting order; with `done`, the state after its remaining quantity is removed. */
  private restingState(slot: number, done?: 'CANCELED' | 'EXPIRED'): OrderState {
    const s = this.store;
    const flags = s.flags(slot);
    const levels = flags & FLAG_SELL ? this.asks : this.bids;
    const qty = s.qty(slot);
    const cumQty = s.cumQty(slot);
    return orderState(
      s.orderId(slot),
      s.account(slot),
      flags & FLAG_SELL ? 'SELL' : 'BUY',
      'LIMIT',
      flags & FLAG_DAY ? 'DAY' : 'GTC',
      levels.price[s.level(slot)]!,
      qty,
      cumQty,
      done === undefined ? qty - cumQty : 0,
      s.cumNotional(slot),
      done ?? liveStatus(qty, cumQty),
    );
  }

  private takerCanceled(t: Taker, reason: CancelReason, ts: number): CanceledEvent {
    const canceledQty = t.qty - t.cumQty;
    return { type: 'canceled', seq: ++this.seqNo, timestamp: ts, order: t.doneState('CANCELED'), reason, canceledQty };
  }

  private reject(command: RejectedEvent['command'], orderId: number, reason: Exclude<ResultCode, 'OK'>, ts: number): CommandResult {
    return { code: reason, events: [{ type: 'rejected', seq: this.seqNo, timestamp: ts, orderId, reason, command }] };
  }

  /** Visits resting orders in priority order (bids best → worst FIFO, then asks). Must not mutate. */
  private forEachResting(visit: (slot: number, price: number, side: Side) => void): void {
    const s = this.store;
    for (const levels of [this.bids, this.asks]) {
      const side: Side = levels.isBid ? 'BUY' : 'SELL';
      for (const lvl of levels.allLevels()) {
        const price = levels.price[lvl]!;
        for (let o = levels.head[lvl]!; o !== NIL; o = s.next(o)) visit(o, price, side);
      }
    }
  }

  private depthSide(levels: PriceLevels, n: number): DepthLevel[] {
    return levels.topLevels(n).map((lvl) => ({ price: levels.price[lvl]!, qty: levels.total[lvl]!, count: levels.count[lvl]! }));
  }
}
