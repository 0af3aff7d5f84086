import type { LastTrade, MatchingEngine, RestingOrder } from '../../engine/index.js';
import type { Knex } from '../../db/knex.js';
import { OPEN_STATUSES, executionFromRow, orderFromRow, type OrderRecord } from './order-record.js';

/**
 * Book recovery from the database's order rows: the start-up load of every book and the full
 * reload of one book (after a failed commit, or when a replica cannot catch up otherwise).
 * Cost proportional to the book's depth.
 */

/** Rebuilds one symbol's book from the database (in `trx` when given, to read inside a batch's lock). */
export async function reloadBook(engine: MatchingEngine, knex: Knex | Knex.Transaction, symbol: string): Promise<void> {
  const product = await knex('products').where({ symbol }).first('book_seq');
  const rows = await knex('orders')
    .where({ symbol, ord_type: 'LIMIT' })
    .whereIn('status', OPEN_STATUSES as string[])
    .select('*');
  const last = await knex('executions').where({ symbol }).orderBy('id', 'desc').first('*');
  const lastTrade: LastTrade | undefined = last
    ? { price: Number(last.price_ticks), qty: Number(last.qty), tradeId: Number(last.trade_id), timestamp: executionFromRow(last).createdAt.getTime() }
    : undefined;
  engine.restore(symbol, toResting(rows.map(orderFromRow)), Number(product?.book_seq ?? 0), lastTrade);
}

/** Rebuilds every book that has open orders or history (start-up). Returns the number of books. */
export async function loadAllBooks(engine: MatchingEngine, knex: Knex): Promise<number> {
  const rows = await knex('orders').where({ ord_type: 'LIMIT' }).whereIn('status', OPEN_STATUSES as string[]).select('*');
  const bySymbol = new Map<string, OrderRecord[]>();
  for (const r of rows.map(orderFromRow)) {
    const list = bySymbol.get(r.symbol) ?? [];
    list.push(r);
    bySymbol.set(r.symbol, list);
  }
  const products = await knex('products').where('book_seq', '>', 0).select('symbol', 'book_seq');
  const lastTrades = await lastTradesBySymbol(knex);
  for (const p of products) {
    const symbol = String(p.symbol);
    engine.restore(symbol, toResting(bySymbol.get(symbol) ?? []), Number(p.book_seq), lastTrades.get(symbol));
  }
  return products.length;
}

/** Open limit orders → the engine's recovery list, in priority order (bids high→low, asks low→high, then time). */
export function toResting(orders: readonly OrderRecord[]): RestingOrder[] {
  const open = orders.filter((o) => o.ordType === 'LIMIT' && o.leavesQty > 0 && (OPEN_STATUSES as string[]).includes(o.status));
  open.sort((a, b) => {
    if (a.side !== b.side) return a.side === 'BUY' ? -1 : 1;
    if (a.priceTicks !== b.priceTicks) return a.side === 'BUY' ? b.priceTicks - a.priceTicks : a.priceTicks - b.priceTicks;
    return a.prioritySeq - b.prioritySeq;
  });
  return open.map((o) => ({
    orderId: o.id,
    account: o.accountId,
    side: o.side,
    tif: o.tif,
    price: o.priceTicks,
    qty: o.qty,
    cumQty: o.cumQty,
    cumNotional: o.cumNotional,
  }));
}

async function lastTradesBySymbol(knex: Knex): Promise<Map<string, LastTrade>> {
  const rows = await knex('executions as e')
    .join(knex('executions').select('symbol').max('id as id').groupBy('symbol').as('m'), 'm.id', 'e.id')
    .select('e.*');
  return new Map(
    rows.map((r: Record<string, unknown>) => [
      String(r.symbol),
      { price: Number(r.price_ticks), qty: Number(r.qty), tradeId: Number(r.trade_id), timestamp: executionFromRow(r).createdAt.getTime() },
    ]),
  );
}
