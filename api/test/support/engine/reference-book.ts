/**
 * A deliberately simple reference matcher for property tests: one plain array of resting orders,
 * re-sorted whenever priority matters, O(n log n) everything. It implements the same contract as
 * {@link OrderBook} (types.ts) in the most obvious way, so any disagreement points at a bug in
 * one of them. Not for production use.
 */
import { DEFAULT_MAX_ORDER_QTY, DEFAULT_MAX_RESTING_ORDERS, REQUESTED_CANCEL_REASONS } from '../../../src/engine/types.js';
import type {
  AmendCommand,
  BookOptions,
  CancelCommand,
  CancelReason,
  Command,
  CommandResult,
  EngineEvent,
  ExpireDayCommand,
  LastTrade,
  NewOrderCommand,
  OrdStatus,
  OrderState,
  RestingOrder,
  ResultCode,
  SelfTradePrevention,
  Side,
  TimeInForce,
} from '../../../src/engine/types.js';

interface RefOrder {
  orderId: number;
  account: number;
  side: Side;
  tif: TimeInForce;
  price: number;
  qty: number;
  cumQty: number;
  cumNotional: number;
  /** Arrival time for priority: smaller is earlier. */
  time: number;
}

const okInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;

const MAX_NOTIONAL = BigInt(Number.MAX_SAFE_INTEGER);

/** Whether notional + price × leaves is at most 2^53 − 1, computed exactly. */
const fits = (notional: number, price: number, leaves: number): boolean => BigInt(notional) + BigInt(price) * BigInt(leaves) <= MAX_NOTIONAL;

function status(qty: number, cumQty: number): OrdStatus {
  if (cumQty === 0) return 'NEW';
  return cumQty < qty ? 'PARTIALLY_FILLED' : 'FILLED';
}

/** The reference book. Same observable behaviour as OrderBook; see its TSDoc for the rules. */
export class ReferenceBook {
  seq = 0;
  last: LastTrade | undefined;
  private orders: RefOrder[] = [];
  private clock = 0;

  private readonly maxOrderQty: number;
  private readonly maxRestingOrders: number;

  constructor(
    private readonly stpDefault: SelfTradePrevention = 'CANCEL_RESTING',
    limits: Pick<BookOptions, 'maxOrderQty' | 'maxRestingOrders'> = {},
  ) {
    this.maxOrderQty = limits.maxOrderQty ?? DEFAULT_MAX_ORDER_QTY;
    this.maxRestingOrders = limits.maxRestingOrders ?? DEFAULT_MAX_RESTING_ORDERS;
  }

  /** Applies a command. */
  execute(cmd: Command): CommandResult {
    if (cmd.type === 'new') return this.newOrder(cmd);
    if (cmd.type === 'cancel') return this.cancel(cmd);
    if (cmd.type === 'amend') return this.amend(cmd);
    if (cmd.type === 'expireDay') return this.expireDay(cmd);
    return { code: 'INVALID_COMMAND', events: [] };
  }

  /** Resting orders, bids best → worst FIFO, then asks best → worst FIFO. */
  restingOrders(): RestingOrder[] {
    return [...this.sorted('BUY'), ...this.sorted('SELL')].map((o) => ({
      orderId: o.orderId,
      account: o.account,
      side: o.side,
      tif: o.tif,
      price: o.price,
      qty: o.qty,
      cumQty: o.cumQty,
      cumNotional: o.cumNotional,
    }));
  }

  private sorted(side: Side): RefOrder[] {
    return this.orders
      .filter((o) => o.side === side)
      .sort((a, b) => (a.price !== b.price ? (side === 'BUY' ? b.price - a.price : a.price - b.price) : a.time - b.time));
  }

  private reject(command: 'new' | 'cancel' | 'amend', orderId: number, reason: Exclude<ResultCode, 'OK'>, timestamp: number): CommandResult {
    return { code: reason, events: [{ type: 'rejected', seq: this.seq, timestamp, orderId, reason, command }] };
  }

  private state(o: RefOrder, st?: OrdStatus): OrderState {
    const done = st === 'CANCELED' || st === 'EXPIRED' || o.cumQty === o.qty;
    return {
      orderId: o.orderId,
      account: o.account,
      side: o.side,
      ordType: 'LIMIT',
      tif: o.tif,
      price: o.price,
      qty: o.qty,
      cumQty: o.cumQty,
      leavesQty: done ? 0 : o.qty - o.cumQty,
      cumNotional: o.cumNotional,
      status: st ?? status(o.qty, o.cumQty),
    };
  }

  private remove(o: RefOrder): void {
    this.orders = this.orders.filter((x) => x !== o);
  }

  private newOrder(cmd: NewOrderCommand): CommandResult {
    const ts = cmd.timestamp;
    if (!okInt(cmd.orderId)) return this.reject('new', cmd.orderId, 'INVALID_ORDER_ID', ts);
    const stp = cmd.stp ?? this.stpDefault;
    const sideOk = cmd.side === 'BUY' || cmd.side === 'SELL';
    const typeOk = cmd.ordType === 'LIMIT' || cmd.ordType === 'MARKET';
    const stpOk = stp === 'CANCEL_RESTING' || stp === 'CANCEL_INCOMING';
    const postOk = cmd.postOnly === undefined || typeof cmd.postOnly === 'boolean';
    if (!sideOk || !typeOk || !Number.isSafeInteger(cmd.account) || !stpOk || !postOk || (cmd.ordType === 'MARKET' && cmd.postOnly === true)) {
      return this.reject('new', cmd.orderId, 'INVALID_COMMAND', ts);
    }
    if (!okInt(cmd.qty)) return this.reject('new', cmd.orderId, 'INVALID_QUANTITY', ts);
    if (cmd.qty > this.maxOrderQty) return this.reject('new', cmd.orderId, 'QUANTITY_TOO_LARGE', ts);
    const market = cmd.ordType === 'MARKET';
    if (!['GTC', 'DAY', 'IOC', 'FOK'].includes(cmd.tif) || (market && !['IOC', 'FOK'].includes(cmd.tif))) {
      return this.reject('new', cmd.orderId, 'INVALID_TIME_IN_FORCE', ts);
    }
    if (market ? !(cmd.price === undefined || cmd.price === 0) : !okInt(cmd.price)) {
      return this.reject('new', cmd.orderId, 'INVALID_PRICE', ts);
    }
    if (cmd.bandPrice !== undefined && !okInt(cmd.bandPrice)) return this.reject('new', cmd.orderId, 'INVALID_PRICE', ts);
    if (this.orders.some((o) => o.orderId === cmd.orderId)) return this.reject('new', cmd.orderId, 'DUPLICATE_ORDER_ID', ts);
    const price = market ? 0 : (cmd.price as number);
    const opposite = this.sorted(cmd.side === 'BUY' ? 'SELL' : 'BUY');
    const crosses = (p: number): boolean => market || (cmd.side === 'BUY' ? p <= price : p >= price);
    const band = cmd.bandPrice;
    const inBand = (p: number): boolean => band === undefined || (cmd.side === 'BUY' ? p <= band : p >= band);
    if (cmd.postOnly === true && opposite.length > 0 && crosses(opposite[0]!.price)) {
      return this.reject('new', cmd.orderId, 'POST_ONLY_WOULD_TAKE', ts);
    }

    const taker = {
      orderId: cmd.orderId,
      account: cmd.account,
      side: cmd.side,
      ordType: cmd.ordType,
      tif: cmd.tif,
      price,
      qty: cmd.qty,
      cumQty: 0,
      cumNotional: 0,
    };
    const takerState = (st?: OrdStatus): OrderState => ({
      ...taker,
      leavesQty: st === 'CANCELED' ? 0 : taker.qty - taker.cumQty,
      status: st ?? status(taker.qty, taker.cumQty),
    });
    const events: EngineEvent[] = [{ type: 'accepted', seq: ++this.seq, timestamp: ts, order: takerState() }];
    const cancelTaker = (reason: CancelReason): void => {
      events.push({ type: 'canceled', seq: ++this.seq, timestamp: ts, order: takerState('CANCELED'), reason, canceledQty: taker.qty - taker.cumQty });
    };
    const cancelIncoming = stp === 'CANCEL_INCOMING';

    if (cmd.tif === 'FOK') {
      let need = cmd.qty;
      let notional = 0;
      for (const o of opposite) {
        if (need === 0 || !crosses(o.price) || !inBand(o.price)) break;
        if (o.account === cmd.account) {
          if (cancelIncoming) break;
          continue;
        }
        if (!fits(o.cumNotional, o.price, o.qty - o.cumQty)) continue;
        const take = Math.min(o.qty - o.cumQty, need);
        if (!fits(notional, o.price, take)) break;
        notional += take * o.price;
        need -= take;
      }
      if (need > 0) {
        cancelTaker('FOK_UNFILLABLE');
        return { code: 'OK', events };
      }
    }
    const stopped = this.sweep(events, taker, takerState, opposite, crosses, cancelIncoming, ts, inBand);
    if (taker.cumQty < taker.qty) {
      if (stopped) cancelTaker(stopped);
      else if (market) cancelTaker('MARKET_REMAINDER');
      else if (cmd.tif === 'IOC' || cmd.tif === 'FOK') cancelTaker('IOC_REMAINDER');
      else if (!fits(taker.cumNotional, price, taker.qty - taker.cumQty)) cancelTaker('NOTIONAL_LIMIT');
      else if (this.orders.length >= this.maxRestingOrders) cancelTaker('BOOK_FULL');
      else this.orders.push({ ...taker, tif: cmd.tif, time: ++this.clock });
    }
    return { code: 'OK', events };
  }

  /**
   * Trades `taker` against `opposite` (already in priority order). Returns why it stopped early:
   * SELF_TRADE (CANCEL_INCOMING), NOTIONAL_LIMIT (its notional could take no more) or
   * PRICE_BAND (the next maker is within the limit but beyond the band price).
   */
  private sweep(
    events: EngineEvent[],
    taker: { account: number; side: Side; qty: number; cumQty: number; cumNotional: number },
    takerState: () => OrderState,
    opposite: RefOrder[],
    crosses: (price: number) => boolean,
    cancelIncoming: boolean,
    ts: number,
    inBand: (price: number) => boolean = () => true,
  ): 'SELF_TRADE' | 'NOTIONAL_LIMIT' | 'PRICE_BAND' | undefined {
    for (const maker of opposite) {
      if (taker.cumQty === taker.qty || !crosses(maker.price)) break;
      if (!inBand(maker.price)) return 'PRICE_BAND';
      const own = maker.account === taker.account;
      if (own && cancelIncoming) return 'SELF_TRADE';
      if (own || !fits(maker.cumNotional, maker.price, maker.qty - maker.cumQty)) {
        const canceledQty = maker.qty - maker.cumQty;
        this.remove(maker);
        events.push({ type: 'canceled', seq: ++this.seq, timestamp: ts, order: this.state(maker, 'CANCELED'), reason: own ? 'SELF_TRADE' : 'NOTIONAL_LIMIT', canceledQty });
        continue;
      }
      let q = Math.min(maker.qty - maker.cumQty, taker.qty - taker.cumQty);
      const capped = !fits(taker.cumNotional, maker.price, q);
      if (capped) {
        q = Number((MAX_NOTIONAL - BigInt(taker.cumNotional)) / BigInt(maker.price));
        if (q === 0) return 'NOTIONAL_LIMIT';
      }
      maker.cumQty += q;
      maker.cumNotional += q * maker.price;
      taker.cumQty += q;
      taker.cumNotional += q * maker.price;
      if (maker.cumQty === maker.qty) this.remove(maker);
      const seq = ++this.seq;
      this.last = { price: maker.price, qty: q, tradeId: seq, timestamp: ts };
      events.push({
        type: 'trade',
        seq,
        timestamp: ts,
        tradeId: seq,
        price: maker.price,
        qty: q,
        aggressorSide: taker.side,
        maker: this.state(maker),
        taker: takerState(),
      });
      if (capped) return 'NOTIONAL_LIMIT';
    }
    return undefined;
  }

  private find(orderId: number): RefOrder | undefined {
    return this.orders.find((o) => o.orderId === orderId);
  }

  private cancel(cmd: CancelCommand): CommandResult {
    const ts = cmd.timestamp;
    if (!okInt(cmd.orderId)) return this.reject('cancel', cmd.orderId, 'INVALID_ORDER_ID', ts);
    const o = this.find(cmd.orderId);
    if (!o) return this.reject('cancel', cmd.orderId, 'UNKNOWN_ORDER', ts);
    if (cmd.account !== undefined && cmd.account !== o.account) return this.reject('cancel', cmd.orderId, 'NOT_OWNER', ts);
    if (cmd.reason !== undefined && !REQUESTED_CANCEL_REASONS.includes(cmd.reason)) return this.reject('cancel', cmd.orderId, 'INVALID_COMMAND', ts);
    this.remove(o);
    return {
      code: 'OK',
      events: [{ type: 'canceled', seq: ++this.seq, timestamp: ts, order: this.state(o, 'CANCELED'), reason: cmd.reason ?? 'USER', canceledQty: o.qty - o.cumQty }],
    };
  }

  private amend(cmd: AmendCommand): CommandResult {
    const ts = cmd.timestamp;
    if (!okInt(cmd.orderId)) return this.reject('amend', cmd.orderId, 'INVALID_ORDER_ID', ts);
    if (!okInt(cmd.qty)) return this.reject('amend', cmd.orderId, 'INVALID_QUANTITY', ts);
    if (cmd.qty > this.maxOrderQty) return this.reject('amend', cmd.orderId, 'QUANTITY_TOO_LARGE', ts);
    if (cmd.price !== undefined && !okInt(cmd.price)) return this.reject('amend', cmd.orderId, 'INVALID_PRICE', ts);
    const o = this.find(cmd.orderId);
    if (!o) return this.reject('amend', cmd.orderId, 'UNKNOWN_ORDER', ts);
    if (cmd.account !== undefined && cmd.account !== o.account) return this.reject('amend', cmd.orderId, 'NOT_OWNER', ts);
    if (cmd.qty <= o.cumQty) return this.reject('amend', cmd.orderId, 'AMEND_BELOW_FILLED', ts);
    const newPrice = cmd.price ?? o.price;
    const keep = newPrice === o.price && cmd.qty <= o.qty;
    o.qty = cmd.qty;
    o.price = newPrice;
    if (keep) {
      return { code: 'OK', events: [{ type: 'amended', seq: ++this.seq, timestamp: ts, order: this.state(o), priorityKept: true }] };
    }
    this.remove(o);
    const events: EngineEvent[] = [{ type: 'amended', seq: ++this.seq, timestamp: ts, order: this.state(o), priorityKept: false }];
    const opposite = this.sorted(o.side === 'BUY' ? 'SELL' : 'BUY');
    const crosses = (p: number): boolean => (o.side === 'BUY' ? p <= newPrice : p >= newPrice);
    const stopped = this.sweep(events, o, () => this.state(o), opposite, crosses, this.stpDefault === 'CANCEL_INCOMING', ts);
    if (o.cumQty < o.qty) {
      const reason = stopped ?? (fits(o.cumNotional, o.price, o.qty - o.cumQty) ? undefined : 'NOTIONAL_LIMIT');
      if (reason) {
        events.push({ type: 'canceled', seq: ++this.seq, timestamp: ts, order: this.state(o, 'CANCELED'), reason, canceledQty: o.qty - o.cumQty });
      } else {
        o.time = ++this.clock;
        this.orders.push(o);
      }
    }
    return { code: 'OK', events };
  }

  private expireDay(cmd: ExpireDayCommand): CommandResult {
    const day = this.restingOrders().filter((o) => o.tif === 'DAY');
    const events: EngineEvent[] = [];
    for (const r of day) {
      const o = this.find(r.orderId)!;
      this.remove(o);
      events.push({ type: 'expired', seq: ++this.seq, timestamp: cmd.timestamp, order: this.state(o, 'EXPIRED') });
    }
    return { code: 'OK', events };
  }
}
