/**
 * What the audit reads: the orders, executions and products tables as plain records, plus the
 * trades (pairs of executions) they imply. Read-only; no ORM, no engine.
 */
import type { Knex } from '../../db/knex.js';
import { toDate } from '../../db/dialect.js';
import { OPEN_STATUSES } from '../../engine/index.js';

/** One row of `orders`, as the audit needs it (integers are ticks and lots). */
export interface OrderRow {
  readonly id: number;
  readonly clOrdId: string;
  readonly accountId: number;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly ordType: string;
  readonly tif: string;
  readonly postOnly: boolean;
  readonly priceTicks: number;
  readonly qty: number;
  readonly cumQty: number;
  readonly leavesQty: number;
  readonly cumNotional: number;
  readonly status: string;
  readonly reason: string | null;
  /** Seq of the event that gave the order its current place in the book (accepted, or an amend that lost priority). */
  readonly prioritySeq: number;
}

/** One row of `executions`: one side of one trade. */
export interface ExecutionRow {
  readonly id: number;
  readonly execId: string;
  /** The trade event's seq in its symbol's book. */
  readonly tradeId: number;
  readonly symbol: string;
  readonly orderId: number;
  readonly accountId: number;
  readonly side: 'BUY' | 'SELL';
  readonly maker: boolean;
  readonly priceTicks: number;
  readonly qty: number;
  readonly counterOrderId: number;
  readonly createdAt: Date;
}

/** One row of `products`, the fields the audit checks. */
export interface ProductRow {
  readonly symbol: string;
  readonly bookSeq: number;
  readonly lastPriceTicks: number | null;
}

/** A well-formed trade: its two executions, maker and taker. */
export interface Trade {
  readonly symbol: string;
  readonly tradeId: number;
  readonly priceTicks: number;
  readonly qty: number;
  readonly maker: ExecutionRow;
  readonly taker: ExecutionRow;
}

/** Everything the audit works on. */
export interface AuditData {
  readonly orders: OrderRow[];
  readonly executions: ExecutionRow[];
  readonly products: ProductRow[];
}

/** Reads the three tables (executions in id order). */
export async function loadAuditData(knex: Knex): Promise<AuditData> {
  const orders = (await knex('orders').orderBy('id').select('*')).map(orderRow);
  const executions = (await knex('executions').orderBy('id').select('*')).map(executionRow);
  const products = (await knex('products').select('symbol', 'book_seq', 'last_price_ticks')).map((r: Record<string, unknown>) => ({
    symbol: String(r.symbol),
    bookSeq: Number(r.book_seq),
    lastPriceTicks: r.last_price_ticks == null ? null : Number(r.last_price_ticks),
  }));
  return { orders, executions, products };
}

/**
 * Groups executions into trades per (symbol, tradeId). Only well-formed pairs (one BUY, one SELL,
 * one maker, same qty and price) become trades; the others are returned as `malformed` keys
 * (the trade rules report them).
 */
export function groupTrades(executions: readonly ExecutionRow[]): { trades: Trade[]; malformed: Set<string> } {
  const byKey = new Map<string, ExecutionRow[]>();
  for (const e of executions) {
    const key = tradeKey(e.symbol, e.tradeId);
    const list = byKey.get(key);
    if (list) list.push(e);
    else byKey.set(key, [e]);
  }
  const trades: Trade[] = [];
  const malformed = new Set<string>();
  for (const [key, rows] of byKey) {
    const [a, b] = rows;
    if (rows.length !== 2 || !a || !b || a.side === b.side || a.maker === b.maker || a.qty !== b.qty || a.priceTicks !== b.priceTicks) {
      malformed.add(key);
      continue;
    }
    const maker = a.maker ? a : b;
    const taker = a.maker ? b : a;
    trades.push({ symbol: a.symbol, tradeId: a.tradeId, priceTicks: a.priceTicks, qty: a.qty, maker, taker });
  }
  trades.sort((x, y) => (x.symbol < y.symbol ? -1 : x.symbol > y.symbol ? 1 : x.tradeId - y.tradeId));
  return { trades, malformed };
}

export const tradeKey = (symbol: string, tradeId: number) => `${symbol}#${tradeId}`;

/** Statuses in which an order may rest in a book. */
export const OPEN: ReadonlySet<string> = new Set(OPEN_STATUSES);
/** Statuses in which an order is done without (necessarily) being filled: leavesQty is 0. */
export const DONE_UNFILLED = new Set(['CANCELED', 'EXPIRED', 'REJECTED']);

/** True for an order that may rest: a DAY or GTC limit order. */
export const canRest = (o: OrderRow) => o.ordType === 'LIMIT' && (o.tif === 'DAY' || o.tif === 'GTC');

/** True for an order resting now (open, a limit, something left). */
export const isResting = (o: OrderRow) => OPEN.has(o.status) && o.ordType === 'LIMIT' && o.leavesQty > 0;

export function orderRow(r: Record<string, unknown>): OrderRow {
  return {
    id: Number(r.id),
    clOrdId: String(r.cl_ord_id),
    accountId: Number(r.account_id),
    symbol: String(r.symbol),
    side: r.side as 'BUY' | 'SELL',
    ordType: String(r.ord_type),
    tif: String(r.tif),
    postOnly: Boolean(Number(r.post_only)),
    priceTicks: Number(r.price_ticks),
    qty: Number(r.qty),
    cumQty: Number(r.cum_qty),
    leavesQty: Number(r.leaves_qty),
    cumNotional: Number(r.cum_notional),
    status: String(r.status),
    reason: r.reason == null ? null : String(r.reason),
    prioritySeq: Number(r.priority_seq),
  };
}

export function executionRow(r: Record<string, unknown>): ExecutionRow {
  return {
    id: Number(r.id),
    execId: String(r.exec_id),
    tradeId: Number(r.trade_id),
    symbol: String(r.symbol),
    orderId: Number(r.order_id),
    accountId: Number(r.account_id),
    side: r.side as 'BUY' | 'SELL',
    maker: Boolean(Number(r.maker)),
    priceTicks: Number(r.price_ticks),
    qty: Number(r.qty),
    counterOrderId: Number(r.counter_order_id),
    createdAt: toDate(r.created_at),
  };
}
