import { randomUUID } from 'node:crypto';
import { isOpenStatus, type OrdStatus, type OrdType, type Side, type TimeInForce } from '../../engine/index.js';
import type { Knex } from '../../db/knex.js';
import { isOnTick, toTicks } from '../../decimal.js';
import { DomainError, badInput, conflict, notFound } from '../../errors.js';
import type { ProductService } from '../products/product.service.js';
import type { Admission, RiskService } from '../risk/risk.service.js';
import { TradingStatus } from '../products/product-model.js';
import type { TradingSessions } from '../products/trading-sessions.js';
import type { TradingHours } from '../products/trading-schedule.js';
import type { OrderOutcome, OrderPath } from './order-path.js';
import { executionFromRow, orderFromRow, type Channel, type ExecutionRecord, type OrderRecord } from './order-record.js';

/** Who is acting: the account id and whether they may act on other accounts' orders. */
export interface Actor {
  readonly id: number;
  readonly admin: boolean;
}

/** placeOrder's input as it arrives from GraphQL or FIX (prices as decimal strings). */
export interface PlaceOrderInput {
  readonly clOrdId?: string | null;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrdType;
  readonly price?: string | null;
  readonly quantity: number;
  readonly timeInForce?: TimeInForce | null;
  readonly postOnly?: boolean | null;
}

export type OrderSort = 'TIME_DESC' | 'TIME_ASC' | 'QUANTITY_DESC' | 'QUANTITY_ASC';

export interface OrderFilter {
  readonly symbol?: string | null;
  readonly statuses?: readonly OrdStatus[] | null;
  readonly accountId?: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

/** A public trade (one per fill), from the BUY execution row. */
export interface TradeRecord {
  readonly tradeId: number;
  readonly symbol: string;
  readonly priceTicks: number;
  readonly qty: number;
  readonly aggressorSide: Side;
  readonly at: Date;
}

const CL_ORD_ID = /^[\x21-\x7e]{1,64}$/;

/** What the order service reports to metrics (kept abstract: the service knows no Prometheus). */
export interface OrderObserver {
  received(input: { side: Side; ordType: OrdType; tif: TimeInForce; channel: Channel }): void;
  rejected(reason: string): void;
  /** Seconds from submission to the committed answer. */
  pathLatency(seconds: number): void;
}

export interface OrderServiceOptions {
  readonly maxOrderQty: number;
  /** Trading hours: new orders and amends outside a product's session are refused (MARKET_CLOSED). */
  readonly sessions?: TradingSessions;
  readonly observer?: OrderObserver;
  /** Pre-trade checks (order rate, price band, order size, position limits); none when absent. */
  readonly risk?: RiskService;
}

/** Refusals that depend on the market or the account's state, not on the request itself: a ClOrdID retry of an order already taken is answered, not refused. */
const STATE_REFUSALS = new Set(['PRICE_OUT_OF_BAND', 'POSITION_LIMIT', 'SHORT_SALE_NOT_ALLOWED']);

/**
 * Orders at the edge: validates input (nothing reaches the order path unless it is well-formed,
 * on tick, within limits, for a trading symbol), checks ownership, and reads orders, trades and
 * holdings. Shared by GraphQL and FIX.
 */
export class OrderService {
  constructor(
    private readonly knex: Knex,
    private readonly path: OrderPath,
    private readonly products: ProductService,
    private readonly options: OrderServiceOptions,
  ) {}

  /** Validates and submits a new order. A retry with the same ClOrdID returns the existing order. */
  async place(actor: Actor, input: PlaceOrderInput, channel: Channel): Promise<OrderOutcome> {
    const tif = input.timeInForce ?? (input.type === 'MARKET' ? 'IOC' : 'DAY');
    this.options.observer?.received({ side: input.side, ordType: input.type, tif, channel });
    const outcome = await this.observe(() => this.placeValidated(actor, input, tif, channel));
    if (outcome.order.status === 'REJECTED' && outcome.order.reason && !outcome.duplicate) this.options.observer?.rejected(outcome.order.reason);
    return outcome;
  }

  private async placeValidated(actor: Actor, input: PlaceOrderInput, tif: TimeInForce, channel: Channel): Promise<OrderOutcome> {
    const clOrdId = input.clOrdId ?? randomUUID();
    if (!CL_ORD_ID.test(clOrdId)) {
      throw badInput('INVALID_CL_ORD_ID', 'ClOrdID: 1 to 64 printable characters without spaces.', 'clOrdId');
    }
    const risk = this.options.risk;
    await risk?.throttle(actor.id);
    const product = await this.products.cached(input.symbol);
    if (!product) throw badInput('UNKNOWN_SYMBOL', `No product ${input.symbol}.`, 'symbol');
    // A ClOrdID the client chose may be a retry of an order committed before the halt, whose
    // answer is that order: the order path looks retries up before it refuses a halted symbol
    // (under the product's row lock), so only server-named orders are refused here.
    if (product.status === TradingStatus.HALTED && (input.clOrdId === undefined || input.clOrdId === null)) {
      // The cache may lag another replica's resume: ask the database before refusing.
      const fresh = await this.products.get(input.symbol);
      if (fresh?.status === TradingStatus.HALTED) throw conflict('SYMBOL_HALTED', `Trading in ${input.symbol} is halted.`);
    }
    // Outside hours, the same rule (the order path checks again under the lock at the batch's time).
    if (input.clOrdId === undefined || input.clOrdId === null) await this.assertOpen(input.symbol, product.hours);
    this.checkQty(input.quantity);
    let priceTicks = 0;
    if (input.type === 'LIMIT') {
      if (input.price === undefined || input.price === null || input.price === '') {
        throw badInput('PRICE_REQUIRED', 'A limit order needs a price.', 'price');
      }
      priceTicks = this.ticks(input.price, product.tickSize);
      this.checkNotional(priceTicks, input.quantity);
    } else {
      if (input.price !== undefined && input.price !== null && input.price !== '') {
        throw badInput('PRICE_NOT_ALLOWED', 'A market order takes no price.', 'price');
      }
      if (tif !== 'IOC' && tif !== 'FOK') {
        throw badInput('INVALID_TIME_IN_FORCE', 'A market order must be IOC or FOK.', 'timeInForce');
      }
    }
    const postOnly = input.postOnly ?? false;
    if (postOnly && (input.type !== 'LIMIT' || tif === 'IOC' || tif === 'FOK')) {
      throw badInput('POST_ONLY_NOT_ALLOWED', 'Post-only applies to resting (DAY or GTC) limit orders.', 'postOnly');
    }
    let admission: Admission | undefined;
    try {
      admission = await risk?.admitNew(actor.id, product, { side: input.side, ordType: input.type, priceTicks, qty: input.quantity });
    } catch (e) {
      // A retry of an order already taken gets that order (checked below), whatever the market did since.
      if (!(e instanceof DomainError && STATE_REFUSALS.has(e.reason) && input.clOrdId != null && (await this.byClOrdId(actor.id, clOrdId)))) throw e;
    }
    const outcome = await this.path.submit({
      kind: 'new',
      accountId: actor.id,
      clOrdId,
      clOrdIdGenerated: input.clOrdId == null,
      symbol: input.symbol,
      side: input.side,
      ordType: input.type,
      tif,
      priceTicks,
      qty: input.quantity,
      postOnly,
      bandPrice: admission?.bandPrice,
      channel,
    }).finally(() => admission?.release());
    if (outcome.duplicate) {
      // A retry must be the same order; anything else reusing the ClOrdID is refused, never
      // silently answered with an order the client did not ask for. (An order amended since
      // carries its new price and quantity, so a late retry of its original is refused too.)
      const o = outcome.order;
      const same =
        o.symbol === input.symbol &&
        o.side === input.side &&
        o.ordType === input.type &&
        o.tif === tif &&
        o.priceTicks === priceTicks &&
        o.qty === input.quantity &&
        o.postOnly === postOnly;
      if (!same) {
        throw conflict('DUPLICATE_CL_ORD_ID', `ClOrdID ${clOrdId} was already used for a different order.`);
      }
    }
    return outcome;
  }

  /** Cancels an open order: the owner's own, or anyone's for an admin. */
  async cancel(actor: Actor, orderId: number, channel: Channel): Promise<OrderOutcome> {
    return this.observe(async () => {
      const order = await this.openOrder(actor, orderId);
      return this.path.submit({ kind: 'cancel', orderId, symbol: order.symbol, accountId: actor.admin ? undefined : actor.id, channel });
    });
  }

  /**
   * Cancel/replace. `quantity` is the new total quantity (it must stay above what is filled);
   * `price` omitted keeps the price. Lowering the quantity keeps time priority.
   */
  async amend(actor: Actor, orderId: number, quantity: number, price: string | null | undefined, channel: Channel): Promise<OrderOutcome> {
    return this.observe(() => this.amendValidated(actor, orderId, quantity, price, channel));
  }

  private async amendValidated(actor: Actor, orderId: number, quantity: number, price: string | null | undefined, channel: Channel): Promise<OrderOutcome> {
    await this.options.risk?.throttle(actor.id);
    const order = await this.openOrder(actor, orderId);
    if (order.ordType !== 'LIMIT') throw conflict('ORDER_NOT_OPEN', 'Only resting limit orders can be amended.');
    this.checkQty(quantity);
    const product = await this.products.cached(order.symbol);
    if (!product) throw notFound('UNKNOWN_SYMBOL', `No product ${order.symbol}.`);
    const fresh = product.status === TradingStatus.HALTED ? await this.products.get(order.symbol) : product;
    if (fresh?.status === TradingStatus.HALTED) throw conflict('SYMBOL_HALTED', `Trading in ${order.symbol} is halted.`);
    await this.assertOpen(order.symbol, product.hours);
    const priceTicks = price === undefined || price === null || price === '' ? undefined : this.ticks(price, product.tickSize);
    this.checkNotional(priceTicks ?? order.priceTicks, quantity);
    if (quantity <= order.cumQty) {
      throw badInput('AMEND_BELOW_FILLED', `The new quantity must be above the ${order.cumQty} already filled.`, 'quantity');
    }
    const release = (await this.options.risk?.admitAmend(order.accountId, fresh ?? product, order, quantity, priceTicks)) ?? (() => {});
    return this.path
      .submit({ kind: 'amend', orderId, symbol: order.symbol, accountId: actor.admin ? undefined : actor.id, qty: quantity, priceTicks, channel })
      .finally(release);
  }

  /** Refuses with MARKET_CLOSED outside the product's hours; cached hours that say closed are read again first (another replica may have changed them). */
  private async assertOpen(symbol: string, hours: TradingHours): Promise<void> {
    const sessions = this.options.sessions;
    if (!sessions || sessions.isOpen(hours)) return;
    const fresh = await this.products.get(symbol);
    sessions.assertOpen(symbol, fresh?.hours ?? hours);
  }

  /** Times a request and counts its refusal reason, if refused. */
  private async observe(run: () => Promise<OrderOutcome>): Promise<OrderOutcome> {
    const started = performance.now();
    try {
      return await run();
    } catch (e) {
      this.options.observer?.rejected(e instanceof DomainError ? e.reason : 'INTERNAL');
      throw e;
    } finally {
      this.options.observer?.pathLatency((performance.now() - started) / 1000);
    }
  }

  async get(orderId: number): Promise<OrderRecord | undefined> {
    const row = await this.knex('orders').where({ id: orderId }).first('*');
    return row ? orderFromRow(row) : undefined;
  }

  async byClOrdId(accountId: number, clOrdId: string): Promise<OrderRecord | undefined> {
    const row = await this.knex('orders').where({ account_id: accountId, cl_ord_id: clOrdId }).first('*');
    return row ? orderFromRow(row) : undefined;
  }

  /** Orders, filtered and sorted, keyset-paginated (the cursor encodes the sort key and id). */
  async list(filter: OrderFilter, sort: OrderSort, first: number, after?: string | null): Promise<Page<OrderRecord>> {
    const [column, dir] = SORTS[sort];
    const q = this.knex('orders').select('*');
    if (filter.accountId !== undefined) q.where('account_id', filter.accountId);
    if (filter.symbol) q.where('symbol', filter.symbol);
    if (filter.statuses && filter.statuses.length > 0) q.whereIn('status', filter.statuses as string[]);
    if (after) {
      const [value, id] = decodeCursor(after);
      const op = dir === 'desc' ? '<' : '>';
      const v = column === 'created_at' ? new Date(value) : value;
      q.where((w) => w.where(column, op, v).orWhere((e) => e.where(column, v).andWhere('id', op, id)));
    }
    q.orderBy([{ column, order: dir }, { column: 'id', order: dir }]).limit(first + 1);
    const rows = (await q).map(orderFromRow);
    const items = rows.slice(0, first);
    const last = items[items.length - 1];
    return {
      items,
      hasNextPage: rows.length > first,
      endCursor: last ? encodeCursor(column === 'created_at' ? last.createdAt.getTime() : last.qty, last.id) : null,
    };
  }

  /** Executions of one order, oldest first. */
  async fills(orderId: number): Promise<ExecutionRecord[]> {
    const rows = await this.knex('executions').where({ order_id: orderId }).orderBy('id').select('*');
    return rows.map(executionFromRow);
  }

  /** The public tape of a symbol, newest first. */
  async trades(symbol: string, first: number, before?: number | null): Promise<TradeRecord[]> {
    const q = this.knex('executions').where({ symbol, side: 'BUY' }).orderBy('trade_id', 'desc').limit(first).select('*');
    if (before) q.where('trade_id', '<', before);
    return (await q).map((r: Record<string, unknown>) => {
      const e = executionFromRow(r);
      return { tradeId: e.tradeId, symbol: e.symbol, priceTicks: e.priceTicks, qty: e.qty, aggressorSide: e.maker ? 'SELL' : 'BUY', at: e.createdAt };
    });
  }

  private async openOrder(actor: Actor, orderId: number): Promise<OrderRecord> {
    if (!Number.isSafeInteger(orderId) || orderId <= 0) throw badInput('INVALID_ORDER_ID', 'Unknown order id.', 'orderId');
    const order = await this.get(orderId);
    // Another account's order looks exactly like a missing one to a trader.
    if (!order || (!actor.admin && order.accountId !== actor.id)) throw notFound('ORDER_NOT_FOUND', 'No such order.');
    if (!isOpenStatus(order.status)) {
      throw conflict('ORDER_NOT_OPEN', `The order is ${order.status.toLowerCase().replace('_', ' ')}.`);
    }
    return order;
  }

  private checkQty(qty: number): void {
    if (!Number.isSafeInteger(qty) || qty <= 0) {
      throw badInput('INVALID_QUANTITY', 'Quantity must be a positive whole number.', 'quantity');
    }
    if (qty > this.options.maxOrderQty) {
      throw badInput('QUANTITY_TOO_LARGE', `Quantity must be at most ${this.options.maxOrderQty}.`, 'quantity');
    }
  }

  /**
   * A limit order's notional (price ticks × lots) must be an exact integer: above 2^53 − 1 the
   * engine's cumNotional and AvgPx lose precision, and the database column overflows (MySQL
   * BIGINT refuses it, failing the whole commit).
   */
  private checkNotional(priceTicks: number, qty: number): void {
    if (BigInt(priceTicks) * BigInt(qty) > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw badInput('NOTIONAL_TOO_LARGE', 'Price × quantity is too large for one order.', 'quantity');
    }
  }

  private ticks(price: string, tickSize: string): number {
    const t = toTicks(price, tickSize);
    if (t === undefined) {
      // On tick yet no safe integer of ticks: too large, not off tick.
      if (isOnTick(price, tickSize)) throw badInput('PRICE_TOO_LARGE', 'Price is too large.', 'price');
      const wellFormed = /^\d{1,18}(\.\d{1,12})?$/.test(price);
      throw wellFormed
        ? badInput('PRICE_OFF_TICK', `Price must be a multiple of the tick size ${tickSize}.`, 'price')
        : badInput('INVALID_PRICE', 'Price must be a positive decimal such as 12.34.', 'price');
    }
    if (t <= 0) throw badInput('INVALID_PRICE', 'Price must be positive.', 'price');
    return t;
  }
}

const SORTS: Record<OrderSort, [string, 'asc' | 'desc']> = {
  TIME_DESC: ['created_at', 'desc'],
  TIME_ASC: ['created_at', 'asc'],
  QUANTITY_DESC: ['qty', 'desc'],
  QUANTITY_ASC: ['qty', 'asc'],
};

function encodeCursor(value: number, id: number): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, number] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isSafeInteger(x))) return v as [number, number];
  } catch {
    // fall through
  }
  throw badInput('INVALID_CURSOR', 'The cursor is not one this API returned.', 'after');
}
