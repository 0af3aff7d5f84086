import type { Knex } from '../../db/knex.js';
import type { MatchingEngine, OrdType, Side } from '../../engine/index.js';
import { fromTicks, isDecimal } from '../../decimal.js';
import { badInput, notFound } from '../../errors.js';
import type { ProductRecord } from '../products/product.service.js';
import type { OrderRate } from './order-rate.js';
import {
  BPS,
  bandLimit,
  checkBand,
  checkOrderNotional,
  checkOrderQty,
  checkPosition,
  maxNotionalTicks,
  priceBand,
  type Exposure,
  type PositionLimits,
  type PriceBand,
  type ShortSalePolicy,
} from './risk-rules.js';

/** The configured defaults (config.ts RISK_*, MAX_ORDER_QTY, SHORT_SALE_POLICY). */
export interface RiskDefaults {
  readonly bandBps: number;
  readonly maxOrderQty: number;
  /** Decimal in the product currency. */
  readonly maxOrderNotional: string;
  readonly maxLong: number;
  readonly maxShort: number;
  readonly shortSale: ShortSalePolicy;
  /** For the web ticket's confirmation step. */
  readonly confirmBps: number;
  readonly confirmNotional: string;
}

/** A product's limits as admins set them; null = the default. */
export interface ProductLimitsRow {
  readonly bandBps: number | null;
  readonly maxOrderQty: number | null;
  readonly maxOrderNotional: string | null;
  readonly maxLong: number | null;
  readonly maxShort: number | null;
}

/** The limits in force on one product (defaults applied). */
export interface EffectiveLimits {
  readonly bandBps: number;
  readonly maxOrderQty: number;
  readonly maxOrderNotional: string;
  readonly maxLong: number;
  readonly maxShort: number;
}

/** What a new order's checks hand to the order path. */
export interface Admission {
  /** The engine's band price for the order (NewOrderCommand.bandPrice); undefined = none. */
  readonly bandPrice?: number;
  /** Ends the order's in-flight reservation against the position limits: call once it has committed or failed. */
  release(): void;
}

/** A new order or an amend as the checks see it. */
export interface RiskOrder {
  readonly side: Side;
  readonly ordType: OrdType;
  /** Ticks; 0 for market orders. */
  readonly priceTicks: number;
  readonly qty: number;
}

/** How long a replica trusts its copy of a product's or an account's limits (another replica's admin change shows within it). */
const CACHE_MS = 2_000;

interface Cached<T> {
  readonly value: T;
  readonly at: number;
}

/**
 * How long a replica admits an account's orders on one product against the upper bound of its
 * exposure without reading the database (other replicas' orders are seen at the next read).
 */
const BOUND_MS = 1_000;

/** Pairs whose filled position a replica keeps (beyond it the map starts again: a cache, not the truth). */
const MAX_FILLED_ENTRIES = 200_000;

const NONE: ProductLimitsRow = { bandBps: null, maxOrderQty: null, maxOrderNotional: null, maxLong: null, maxShort: null };
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * The pre-trade checks of the order path's edge, shared by GraphQL and FIX (docs/API.md,
 * "Pre-trade checks"): order rate, price band, order size, position limits. Reads what the rules
 * need (reference price from the book, limits, the account's exposure) and applies the pure rules
 * of risk-rules.ts.
 *
 * Reference price: the book's last trade, else the product's last trade as stored, else the
 * catalog reference. First-trade rule, for a product with none of them: limit orders are not
 * banded (the first trade sets the reference); a market order is banded around the best opposite
 * price at arrival, so it cannot sweep a thin book further than the band from the touch.
 *
 * Position limits count the filled position and the open orders in the database plus this
 * process's orders still in flight. An account's checks on one product run one at a time and
 * snapshot the in-flight orders before reading the database, so two concurrent orders of one
 * account on one replica never both pass on the same room (an order counted twice in the short
 * window around its commit errs on the safe side). Between reads (at most {@link BOUND_MS}
 * apart) orders are admitted against an upper bound: the last read plus what this replica
 * admitted since, since fills and cancels never increase the largest long or short. Across
 * replicas, orders of one account admitted within that time on different replicas may together
 * pass the limit by at most what the rate limit lets through meanwhile.
 */
export class RiskService {
  private readonly products = new Map<string, Cached<ProductLimitsRow>>();
  /** account → its position-limit rows by symbol ('*' = every product). */
  private readonly accounts = new Map<number, Cached<Map<string, { maxLong: number | null; maxShort: number | null }>>>();
  /** (account, symbol) → leaves of this process's orders between check and commit. */
  private readonly inFlight = new Map<string, { buy: bigint; sell: bigint }>();
  /** (account, symbol) → filled net position up to execution id `lastId` (see {@link exposure}). */
  private readonly filled = new Map<string, { net: bigint; lastId: number }>();
  /** (account, symbol) → upper bounds of its largest long and short as of `at` (see {@link reserve}). */
  private readonly bounds = new Map<string, { long: bigint; short: bigint; at: number }>();
  /** (account, symbol) → the tail of its check queue. */
  private readonly locks = new Map<string, Promise<void>>();

  constructor(
    private readonly knex: Knex,
    private readonly engine: MatchingEngine,
    private readonly rate: OrderRate,
    readonly defaults: RiskDefaults,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one order from the account's rate budget (THROTTLED beyond it). */
  throttle(accountId: number): Promise<void> {
    return this.rate.take(accountId);
  }

  /** The reference price of a product in ticks (see the class comment), or null. */
  reference(product: ProductRecord): number | null {
    const last = this.engine.has(product.symbol) ? this.engine.book(product.symbol).lastTrade() : undefined;
    return last?.price ?? product.lastPriceTicks ?? product.refPriceTicks;
  }

  /** The band limit prices must lie in now, or null (no reference: the first-trade rule). */
  async band(product: ProductRecord): Promise<PriceBand | null> {
    const limits = await this.limits(product.symbol);
    return priceBand(this.reference(product), limits.bandBps);
  }

  /** The limits in force on a product. */
  async limits(symbol: string): Promise<EffectiveLimits> {
    const row = await this.productRow(symbol);
    const d = this.defaults;
    return {
      bandBps: row.bandBps ?? d.bandBps,
      maxOrderQty: Math.min(row.maxOrderQty ?? d.maxOrderQty, d.maxOrderQty),
      maxOrderNotional: row.maxOrderNotional ?? d.maxOrderNotional,
      maxLong: row.maxLong ?? d.maxLong,
      maxShort: row.maxShort ?? d.maxShort,
    };
  }

  /** An account's position limits on a product: its own row for the product, else its '*' row, else the product's. */
  async positionLimits(accountId: number, symbol: string, limits?: EffectiveLimits): Promise<PositionLimits> {
    const l = limits ?? (await this.limits(symbol));
    const own = await this.accountRow(accountId, symbol);
    const all = await this.accountRow(accountId, '*');
    return { maxLong: own.maxLong ?? all.maxLong ?? l.maxLong, maxShort: own.maxShort ?? all.maxShort ?? l.maxShort };
  }

  /**
   * Checks a new order (after the rate budget and the well-formedness checks): band, size,
   * position. Resolves with what the order path needs, or throws the refusal.
   */
  async admitNew(accountId: number, product: ProductRecord, order: RiskOrder): Promise<Admission> {
    const limits = await this.limits(product.symbol);
    const show = (t: number) => fromTicks(t, product.tickSize);
    let band = priceBand(this.reference(product), limits.bandBps);
    if (order.ordType === 'LIMIT') {
      checkBand(order.priceTicks, band, show);
    } else if (band === null) {
      band = priceBand(this.bestOpposite(product.symbol, order.side), limits.bandBps);
    }
    const sizes = { maxOrderQty: limits.maxOrderQty, maxNotionalTicks: maxNotionalTicks(limits.maxOrderNotional, product.tickSize) };
    checkOrderQty(order.qty, sizes);
    const worst = order.ordType === 'LIMIT' ? order.priceTicks : band ? bandLimit(band, order.side) : 0;
    checkOrderNotional(worst, order.qty, sizes, limits.maxOrderNotional);
    const release = await this.reserve(accountId, product.symbol, order.side, order.qty, limits);
    return { bandPrice: band ? bandLimit(band, order.side) : undefined, release };
  }

  /**
   * Checks an amend of an open limit order to `qty` (new total) and `priceTicks` (the new or the
   * kept price): band (when the price changes), size, and the position limit for a quantity
   * increase. Resolves with the release of its reservation.
   */
  async admitAmend(
    accountId: number,
    product: ProductRecord,
    order: { side: Side; qty: number; priceTicks: number },
    qty: number,
    priceTicks: number | undefined,
  ): Promise<() => void> {
    const limits = await this.limits(product.symbol);
    if (priceTicks !== undefined && priceTicks !== order.priceTicks) {
      checkBand(priceTicks, priceBand(this.reference(product), limits.bandBps), (t) => fromTicks(t, product.tickSize));
    }
    const sizes = { maxOrderQty: limits.maxOrderQty, maxNotionalTicks: maxNotionalTicks(limits.maxOrderNotional, product.tickSize) };
    checkOrderQty(qty, sizes);
    checkOrderNotional(priceTicks ?? order.priceTicks, qty, sizes, limits.maxOrderNotional);
    const more = qty - order.qty;
    if (more <= 0) return () => {};
    return this.reserve(accountId, product.symbol, order.side, more, limits);
  }

  /**
   * The filled position and open leaves of an account in a product, from the database. The
   * filled net is read incrementally: executions of one symbol are committed in id order (the
   * order path writes them under the product's row lock), so a replica keeps each pair's sum
   * and the last id it covers and reads only the executions after it, whichever replica wrote
   * them.
   */
  async exposure(accountId: number, symbol: string): Promise<Exposure> {
    const key = `${accountId}\u0000${symbol}`;
    const known = this.filled.get(key);
    // One round trip: on SQLite every read waits for the order path's transaction on the one connection.
    const res = await this.knex.raw(
      `SELECT 'NET' AS k, CAST(COALESCE(SUM(CASE WHEN side = 'BUY' THEN qty ELSE -qty END), 0) AS CHAR) AS v, MAX(id) AS m
         FROM executions WHERE account_id = ? AND symbol = ? AND id > ?
       UNION ALL
       SELECT side AS k, CAST(SUM(leaves_qty) AS CHAR) AS v, NULL AS m
         FROM orders WHERE account_id = ? AND symbol = ? AND status IN ('NEW', 'PARTIALLY_FILLED') GROUP BY side`,
      [accountId, symbol, known?.lastId ?? 0, accountId, symbol],
    );
    const rows = (Array.isArray(res[0]) ? res[0] : res) as { k: string; v: unknown; m: unknown }[];
    let openBuy = 0n;
    let openSell = 0n;
    let row: { net?: unknown; last?: unknown } | undefined;
    for (const r of rows) {
      if (r.k === 'NET') row = { net: r.v, last: r.m };
      else if (r.k === 'BUY') openBuy = BigInt(String(r.v));
      else openSell = BigInt(String(r.v));
    }
    const delta = BigInt(String(row?.net ?? 0));
    const last = row?.last == null ? (known?.lastId ?? 0) : Number(row.last);
    const net = (known?.net ?? 0n) + delta;
    // Re-read by the latest writer: a later read that raced an earlier one never moves the mark back.
    const now = this.filled.get(key);
    if (!now || now.lastId <= last) {
      if (this.filled.size >= MAX_FILLED_ENTRIES && !now) this.filled.clear();
      this.filled.set(key, { net, lastId: last });
    }
    return { net, openBuy, openSell };
  }

  /** Sets a product's limits (admin); a null field returns to the default. */
  async setProductLimits(symbol: string, row: ProductLimitsRow): Promise<void> {
    if (row.bandBps !== null && (!Number.isSafeInteger(row.bandBps) || row.bandBps < 1 || row.bandBps > 100 * BPS)) {
      throw badInput('INVALID_LIMIT', 'The price band must be between 0.01 and 10000 percent.', 'priceBandPercent');
    }
    if (row.maxOrderQty !== null && (!Number.isSafeInteger(row.maxOrderQty) || row.maxOrderQty < 1)) {
      throw badInput('INVALID_LIMIT', 'The largest order quantity must be a positive whole number.', 'maxOrderQuantity');
    }
    if (row.maxOrderNotional !== null && (!isDecimal(row.maxOrderNotional) || !/^\d{1,15}(\.\d{1,8})?$/.test(row.maxOrderNotional) || /^[0.]+$/.test(row.maxOrderNotional))) {
      throw badInput('INVALID_LIMIT', 'The largest order notional must be a positive decimal such as 1000000.', 'maxOrderNotional');
    }
    checkPositionLimit(row.maxLong, 'maxLongPosition');
    checkPositionLimit(row.maxShort, 'maxShortPosition');
    if (!(await this.knex('products').where({ symbol }).first('symbol'))) throw notFound('UNKNOWN_SYMBOL', `No product ${symbol}.`);
    const values = {
      price_band_bps: row.bandBps,
      max_order_qty: row.maxOrderQty,
      max_order_notional: row.maxOrderNotional,
      max_long: row.maxLong,
      max_short: row.maxShort,
      updated_at: new Date(this.now()),
    };
    await this.knex('product_risk_limits').insert({ symbol, ...values }).onConflict('symbol').merge(values);
    this.products.set(symbol, { value: row, at: this.now() });
  }

  /** Sets an account's position limits on one product, or on every product with symbol '*' (admin). */
  async setAccountLimits(accountId: number, symbol: string, maxLong: number | null, maxShort: number | null): Promise<void> {
    checkPositionLimit(maxLong, 'maxLongPosition');
    checkPositionLimit(maxShort, 'maxShortPosition');
    if (!(await this.knex('users').where({ id: accountId }).first('id'))) throw notFound('UNKNOWN_ACCOUNT', 'No such account.');
    if (symbol !== '*' && !(await this.knex('products').where({ symbol }).first('symbol'))) throw notFound('UNKNOWN_SYMBOL', `No product ${symbol}.`);
    const values = { max_long: maxLong, max_short: maxShort, updated_at: new Date(this.now()) };
    await this.knex('account_risk_limits').insert({ account_id: accountId, symbol, ...values }).onConflict(['account_id', 'symbol']).merge(values);
    this.accounts.delete(accountId);
  }

  private bestOpposite(symbol: string, side: Side): number | null {
    if (!this.engine.has(symbol)) return null;
    const book = this.engine.book(symbol);
    return (side === 'BUY' ? book.bestAsk() : book.bestBid()) ?? null;
  }

  /**
   * Checks the position limit of `qty` more on `side` and reserves it until the returned
   * release is called. One check at a time per (account, symbol); see the class comment.
   */
  private async reserve(accountId: number, symbol: string, side: Side, qty: number, limits: EffectiveLimits): Promise<() => void> {
    const key = `${accountId}\u0000${symbol}`;
    const before = this.locks.get(key) ?? Promise.resolve();
    let unlock!: () => void;
    const mine = new Promise<void>((r) => (unlock = r));
    const tail = before.then(() => mine);
    this.locks.set(key, tail);
    await before;
    try {
      const position = await this.positionLimits(accountId, symbol, limits);
      const q = BigInt(qty);
      const limit = side === 'BUY' ? BigInt(position.maxLong) : this.defaults.shortSale === 'COVERED_ONLY' ? 0n : BigInt(position.maxShort);
      // Fast path: the largest long (net + open buys) only grows by admitted buys, and the largest
      // short (−net + open sells) only by admitted sells; fills and cancels never grow either. So
      // the last exact read plus what this replica admitted since bounds them from above.
      const bound = this.bounds.get(key);
      if (bound && this.now() - bound.at < BOUND_MS && (side === 'BUY' ? bound.long : bound.short) + q <= limit) {
        if (side === 'BUY') bound.long += q;
        else bound.short += q;
        return this.hold(key, side, q);
      }
      const pending = { ...(this.inFlight.get(key) ?? { buy: 0n, sell: 0n }) };
      const db = await this.exposure(accountId, symbol);
      const exposure: Exposure = { net: db.net, openBuy: db.openBuy + pending.buy, openSell: db.openSell + pending.sell };
      checkPosition(side, qty, exposure, position, this.defaults.shortSale);
      const long = exposure.net + exposure.openBuy + (side === 'BUY' ? q : 0n);
      const short = -exposure.net + exposure.openSell + (side === 'SELL' ? q : 0n);
      if (this.bounds.size >= MAX_FILLED_ENTRIES && !this.bounds.has(key)) this.bounds.clear();
      this.bounds.set(key, { long, short, at: this.now() });
      return this.hold(key, side, q);
    } finally {
      unlock();
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  /** Counts `q` lots of an admitted order as in flight until the returned release is called. */
  private hold(key: string, side: Side, q: bigint): () => void {
    const cur = this.inFlight.get(key) ?? { buy: 0n, sell: 0n };
    this.inFlight.set(key, side === 'BUY' ? { buy: cur.buy + q, sell: cur.sell } : { buy: cur.buy, sell: cur.sell + q });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const c = this.inFlight.get(key);
      if (!c) return;
      const next = side === 'BUY' ? { buy: c.buy - q, sell: c.sell } : { buy: c.buy, sell: c.sell - q };
      if (next.buy === 0n && next.sell === 0n) this.inFlight.delete(key);
      else this.inFlight.set(key, next);
    };
  }

  private async productRow(symbol: string): Promise<ProductLimitsRow> {
    const hit = this.products.get(symbol);
    if (hit && this.now() - hit.at < CACHE_MS) return hit.value;
    const r = await this.knex('product_risk_limits').where({ symbol }).first('*');
    const value: ProductLimitsRow = r
      ? { bandBps: num(r.price_band_bps), maxOrderQty: num(r.max_order_qty), maxOrderNotional: r.max_order_notional == null ? null : String(r.max_order_notional), maxLong: num(r.max_long), maxShort: num(r.max_short) }
      : NONE;
    this.products.set(symbol, { value, at: this.now() });
    return value;
  }

  private async accountRow(accountId: number, symbol: string): Promise<{ maxLong: number | null; maxShort: number | null }> {
    let hit = this.accounts.get(accountId);
    if (!hit || this.now() - hit.at >= CACHE_MS) {
      const rows = await this.knex('account_risk_limits').where({ account_id: accountId }).select('symbol', 'max_long', 'max_short');
      const value = new Map(rows.map((r: Record<string, unknown>) => [String(r.symbol), { maxLong: num(r.max_long), maxShort: num(r.max_short) }]));
      if (this.accounts.size >= MAX_FILLED_ENTRIES) this.accounts.clear();
      hit = { value, at: this.now() };
      this.accounts.set(accountId, hit);
    }
    return hit.value.get(symbol) ?? { maxLong: null, maxShort: null };
  }
}

function checkPositionLimit(v: number | null, field: string): void {
  if (v !== null && (!Number.isSafeInteger(v) || v < 0)) throw badInput('INVALID_LIMIT', 'A position limit must be a whole number of lots, 0 or more.', field);
}
