import { toDate } from '../../db/dialect.js';
import type { OrdStatus, OrdType, OrderState, Side, TimeInForce } from '../../engine/index.js';

/** Where an order came from; used for metrics and logs only. */
export type Channel = 'graphql' | 'fix';

/** An order row as the order path reads and writes it (prices in ticks, quantities in lots). */
export interface OrderRecord {
  readonly id: number;
  readonly clOrdId: string;
  readonly accountId: number;
  readonly symbol: string;
  readonly side: Side;
  readonly ordType: OrdType;
  readonly tif: TimeInForce;
  readonly postOnly: boolean;
  readonly priceTicks: number;
  readonly qty: number;
  readonly cumQty: number;
  readonly leavesQty: number;
  readonly cumNotional: number;
  readonly status: OrdStatus;
  readonly reason: string | null;
  readonly prioritySeq: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** One side of a committed fill. */
export interface ExecutionRecord {
  readonly execId: string;
  readonly tradeId: number;
  readonly symbol: string;
  readonly orderId: number;
  readonly accountId: number;
  readonly side: Side;
  readonly maker: boolean;
  readonly priceTicks: number;
  readonly qty: number;
  readonly counterOrderId: number;
  readonly createdAt: Date;
}

/** Open statuses: the order may still rest in a book. */
/** Applies an engine state to a record (engine states carry no clOrdId, symbol or times). */
export function withState(r: OrderRecord, s: OrderState, updatedAt: Date, extra?: Partial<OrderRecord>): OrderRecord {
  return {
    ...r,
    priceTicks: s.price,
    qty: s.qty,
    cumQty: s.cumQty,
    leavesQty: s.leavesQty,
    cumNotional: s.cumNotional,
    status: s.status,
    updatedAt,
    ...extra,
  };
}

/** Maps a database row (snake_case, driver-specific number/boolean/date types) to a record. */
export function orderFromRow(row: Record<string, unknown>): OrderRecord {
  return {
    id: Number(row.id),
    clOrdId: String(row.cl_ord_id),
    accountId: Number(row.account_id),
    symbol: String(row.symbol),
    side: row.side as Side,
    ordType: row.ord_type as OrdType,
    tif: row.tif as TimeInForce,
    postOnly: Boolean(Number(row.post_only)),
    priceTicks: Number(row.price_ticks),
    qty: Number(row.qty),
    cumQty: Number(row.cum_qty),
    leavesQty: Number(row.leaves_qty),
    cumNotional: Number(row.cum_notional),
    status: row.status as OrdStatus,
    reason: (row.reason as string | null) ?? null,
    prioritySeq: Number(row.priority_seq),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

export function orderToRow(r: OrderRecord): Record<string, unknown> {
  return {
    id: r.id,
    cl_ord_id: r.clOrdId,
    account_id: r.accountId,
    symbol: r.symbol,
    side: r.side,
    ord_type: r.ordType,
    tif: r.tif,
    post_only: r.postOnly,
    price_ticks: r.priceTicks,
    qty: r.qty,
    cum_qty: r.cumQty,
    leaves_qty: r.leavesQty,
    cum_notional: r.cumNotional,
    status: r.status,
    reason: r.reason,
    priority_seq: r.prioritySeq,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

export function executionFromRow(row: Record<string, unknown>): ExecutionRecord {
  return {
    execId: String(row.exec_id),
    tradeId: Number(row.trade_id),
    symbol: String(row.symbol),
    orderId: Number(row.order_id),
    accountId: Number(row.account_id),
    side: row.side as Side,
    maker: Boolean(Number(row.maker)),
    priceTicks: Number(row.price_ticks),
    qty: Number(row.qty),
    counterOrderId: Number(row.counter_order_id),
    createdAt: toDate(row.created_at),
  };
}

export function executionToRow(e: ExecutionRecord): Record<string, unknown> {
  return {
    exec_id: e.execId,
    trade_id: e.tradeId,
    symbol: e.symbol,
    order_id: e.orderId,
    account_id: e.accountId,
    side: e.side,
    maker: e.maker,
    price_ticks: e.priceTicks,
    qty: e.qty,
    counter_order_id: e.counterOrderId,
    created_at: e.createdAt,
  };
}

