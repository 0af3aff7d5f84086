/**
 * An audit of the order path's committed state: what the database holds must be internally
 * consistent (orders vs executions vs trades vs holdings vs books) and, when an engine is given,
 * equal to the in-memory books. Each finding is one line `rule: detail`; an empty list means the
 * state is consistent. Read-only; reusable by suites and by a CLI over a real database.
 */
import type { Knex } from '../../src/db/knex.js';
import { OrderBook, type LastTrade, type MatchingEngine, type RestingOrder } from '../../src/engine/index.js';
import { toDate } from '../../src/modules/orders/order-record.js';

/** Statuses in which an order is done without (necessarily) being filled: leavesQty is 0. */
const DONE_UNFILLED = new Set(['CANCELED', 'EXPIRED', 'REJECTED']);
const OPEN = new Set(['NEW', 'PARTIALLY_FILLED']);

interface OrderRow {
  id: number;
  accountId: number;
  symbol: string;
  side: 'BUY' | 'SELL';
  ordType: string;
  tif: string;
  priceTicks: number;
  qty: number;
  cumQty: number;
  leavesQty: number;
  cumNotional: number;
  status: string;
  prioritySeq: number;
}

interface ExecutionRow {
  id: number;
  execId: string;
  tradeId: number;
  symbol: string;
  orderId: number;
  accountId: number;
  side: 'BUY' | 'SELL';
  maker: boolean;
  priceTicks: number;
  qty: number;
  counterOrderId: number;
  createdAt: Date;
}

export interface AuditOptions {
  /** When given, every book in memory is compared with one rebuilt from the database. */
  readonly engine?: MatchingEngine;
}

/** Runs every rule; returns the violations (empty when consistent). */
export async function auditOrderPath(knex: Knex, options: AuditOptions = {}): Promise<string[]> {
  const orders = (await knex('orders').select('*')).map(orderRow);
  const executions = (await knex('executions').orderBy('id').select('*')).map(executionRow);
  const products = await knex('products').select('symbol', 'book_seq');
  const out: string[] = [];
  out.push(...checkOrders(orders, executions));
  out.push(...checkTrades(executions, orders));
  out.push(...checkHoldings(orders, executions));
  out.push(...checkBooksAtRest(orders, products));
  if (options.engine) out.push(...checkEngine(options.engine, orders, executions, products));
  return out;
}

/** Per order: fills add up, quantities and status agree, nothing rests that should not. */
export function checkOrders(orders: OrderRow[], executions: ExecutionRow[]): string[] {
  const out: string[] = [];
  const fills = new Map<number, { qty: number; notional: number }>();
  for (const e of executions) {
    const f = fills.get(e.orderId) ?? { qty: 0, notional: 0 };
    f.qty += e.qty;
    f.notional += e.qty * e.priceTicks;
    fills.set(e.orderId, f);
  }
  const ids = new Set<number>();
  for (const o of orders) {
    ids.add(o.id);
    const f = fills.get(o.id) ?? { qty: 0, notional: 0 };
    const at = `order ${o.id} (${o.symbol} ${o.side} ${o.ordType} ${o.tif} ${o.status})`;
    if (o.cumQty !== f.qty) out.push(`cumQty = Σ fills: ${at} cumQty ${o.cumQty}, fills ${f.qty}`);
    if (o.cumNotional !== f.notional) out.push(`cumNotional = Σ price × qty: ${at} cumNotional ${o.cumNotional}, fills ${f.notional}`);
    if (o.cumQty < 0 || o.cumQty > o.qty) out.push(`0 ≤ cumQty ≤ qty: ${at} cumQty ${o.cumQty} of ${o.qty}`);
    if (DONE_UNFILLED.has(o.status)) {
      if (o.leavesQty !== 0) out.push(`done orders leave nothing: ${at} leavesQty ${o.leavesQty}`);
    } else if (o.cumQty + o.leavesQty !== o.qty) {
      out.push(`cumQty + leavesQty = qty: ${at} ${o.cumQty} + ${o.leavesQty} ≠ ${o.qty}`);
    }
    const statusOk =
      o.status === 'NEW' ? o.cumQty === 0 && o.leavesQty === o.qty :
      o.status === 'PARTIALLY_FILLED' ? o.cumQty > 0 && o.cumQty < o.qty && o.leavesQty > 0 :
      o.status === 'FILLED' ? o.cumQty === o.qty && o.leavesQty === 0 :
      o.status === 'REJECTED' ? o.cumQty === 0 :
      DONE_UNFILLED.has(o.status) ? o.cumQty < o.qty :
      false;
    if (!statusOk) out.push(`status agrees with quantities: ${at} cumQty ${o.cumQty} leavesQty ${o.leavesQty} qty ${o.qty}`);
    if (OPEN.has(o.status) && (o.ordType !== 'LIMIT' || (o.tif !== 'DAY' && o.tif !== 'GTC'))) {
      out.push(`only DAY/GTC limit orders rest: ${at} is open`);
    }
  }
  for (const orderId of fills.keys()) if (!ids.has(orderId)) out.push(`fills belong to orders: execution of unknown order ${orderId}`);
  return out;
}

/**
 * Per trade (symbol, tradeId): exactly one BUY and one SELL execution with equal qty and price,
 * one maker, naming each other's orders; no fill beyond a limit price; makers fill at their price.
 * Fills that happened before an order's last loss of priority (a price amend) are not checked
 * against its current price.
 */
export function checkTrades(executions: ExecutionRow[], orders: OrderRow[]): string[] {
  const out: string[] = [];
  const byOrder = new Map(orders.map((o) => [o.id, o]));
  const trades = new Map<string, ExecutionRow[]>();
  const execIds = new Set<string>();
  for (const e of executions) {
    if (execIds.has(e.execId)) out.push(`ExecIDs are unique: ${e.execId} twice`);
    execIds.add(e.execId);
    if (!(e.qty > 0) || !(e.priceTicks > 0)) out.push(`fills are positive: execution ${e.execId} qty ${e.qty} price ${e.priceTicks}`);
    const key = `${e.symbol}#${e.tradeId}`;
    trades.set(key, [...(trades.get(key) ?? []), e]);
    const o = byOrder.get(e.orderId);
    if (!o) continue;
    if (o.symbol !== e.symbol || o.side !== e.side || o.accountId !== e.accountId) {
      out.push(`a fill matches its order: execution ${e.execId} vs order ${o.id} (${o.symbol} ${o.side} account ${o.accountId})`);
    }
    if (o.ordType === 'LIMIT' && e.tradeId > o.prioritySeq) {
      if (o.side === 'BUY' ? e.priceTicks > o.priceTicks : e.priceTicks < o.priceTicks) {
        out.push(`no fill beyond the limit: ${e.execId} at ${e.priceTicks} for ${o.side} limit ${o.priceTicks} (order ${o.id})`);
      }
      if (e.maker && e.priceTicks !== o.priceTicks) out.push(`makers fill at their price: ${e.execId} at ${e.priceTicks}, order ${o.id} rests at ${o.priceTicks}`);
    }
  }
  for (const [key, rows] of trades) {
    const buy = rows.filter((r) => r.side === 'BUY');
    const sell = rows.filter((r) => r.side === 'SELL');
    if (rows.length !== 2 || buy.length !== 1 || sell.length !== 1) {
      out.push(`one BUY and one SELL per trade: ${key} has ${rows.map((r) => r.side).join(',')}`);
      continue;
    }
    const [b, s] = [buy[0]!, sell[0]!];
    if (b.qty !== s.qty || b.priceTicks !== s.priceTicks) out.push(`both sides of a trade agree: ${key} BUY ${b.qty}@${b.priceTicks} SELL ${s.qty}@${s.priceTicks}`);
    if (b.maker === s.maker) out.push(`one maker per trade: ${key}`);
    if (b.counterOrderId !== s.orderId || s.counterOrderId !== b.orderId) out.push(`trade sides name each other: ${key}`);
    if (b.accountId === s.accountId) out.push(`no self-trade: ${key} account ${b.accountId} on both sides`);
  }
  return out;
}

/** Per account and symbol: net position from orders (Σ cumQty) equals net position from executions. */
export function checkHoldings(orders: OrderRow[], executions: ExecutionRow[]): string[] {
  const net = (rows: { accountId: number; symbol: string; side: string; qty: number }[]) => {
    const m = new Map<string, number>();
    for (const r of rows) {
      const k = `${r.accountId}/${r.symbol}`;
      m.set(k, (m.get(k) ?? 0) + (r.side === 'BUY' ? r.qty : -r.qty));
    }
    for (const [k, v] of m) if (v === 0) m.delete(k);
    return m;
  };
  const fromOrders = net(orders.map((o) => ({ accountId: o.accountId, symbol: o.symbol, side: o.side, qty: o.cumQty })));
  const fromFills = net(executions);
  const out: string[] = [];
  for (const k of new Set([...fromOrders.keys(), ...fromFills.keys()])) {
    if ((fromOrders.get(k) ?? 0) !== (fromFills.get(k) ?? 0)) out.push(`holdings = net fills: ${k} orders say ${fromOrders.get(k) ?? 0}, fills ${fromFills.get(k) ?? 0}`);
  }
  return out;
}

/** No symbol's open orders cross (best bid < best ask); book_seq covers every trade id. */
export function checkBooksAtRest(orders: OrderRow[], products: Record<string, unknown>[]): string[] {
  const out: string[] = [];
  const best = new Map<string, { bid: number; ask: number }>();
  for (const o of orders) {
    if (!OPEN.has(o.status) || o.ordType !== 'LIMIT') continue;
    const b = best.get(o.symbol) ?? { bid: -Infinity, ask: Infinity };
    if (o.side === 'BUY') b.bid = Math.max(b.bid, o.priceTicks);
    else b.ask = Math.min(b.ask, o.priceTicks);
    best.set(o.symbol, b);
  }
  for (const [symbol, b] of best) if (b.bid >= b.ask) out.push(`no crossed book at rest: ${symbol} bid ${b.bid} ≥ ask ${b.ask}`);
  const seqs = new Map(products.map((p) => [String(p.symbol), Number(p.book_seq)]));
  for (const o of orders) {
    // A REJECTED order never entered the book: its priority seq is only where it would have been.
    if (o.status !== 'REJECTED' && o.prioritySeq > (seqs.get(o.symbol) ?? 0)) out.push(`book_seq covers every event: order ${o.id} priority ${o.prioritySeq} > ${o.symbol} book_seq ${seqs.get(o.symbol)}`);
  }
  return out;
}

/** Every book in memory equals the book rebuilt from the database (state hash), and vice versa. */
export function checkEngine(engine: MatchingEngine, orders: OrderRow[], executions: ExecutionRow[], products: Record<string, unknown>[]): string[] {
  const out: string[] = [];
  const seqs = new Map(products.map((p) => [String(p.symbol), Number(p.book_seq)]));
  const symbols = new Set([...engine.symbols(), ...[...seqs].filter(([, seq]) => seq > 0).map(([s]) => s)]);
  for (const symbol of symbols) {
    let rebuilt: OrderBook;
    try {
      rebuilt = rebuildBook(symbol, orders, executions, seqs.get(symbol) ?? 0);
    } catch (e) {
      out.push(`memory book = database book: ${symbol} cannot be rebuilt from the database (${(e as Error).message})`);
      continue;
    }
    if (!engine.has(symbol)) {
      out.push(`every traded symbol has a book: ${symbol} (book_seq ${seqs.get(symbol)}) is not in memory`);
      continue;
    }
    const live = engine.book(symbol);
    if (live.seq !== rebuilt.seq) out.push(`memory seq = book_seq: ${symbol} memory ${live.seq}, database ${rebuilt.seq}`);
    if (live.stateHash() !== rebuilt.stateHash()) {
      const d = (b: OrderBook) => JSON.stringify({ depth: b.depth(Infinity), last: b.lastTrade(), n: b.restingCount });
      out.push(`memory book = database book: ${symbol} memory ${d(live)} database ${d(rebuilt)}`);
    }
  }
  return out;
}

/**
 * A book rebuilt from the database alone: open limit orders in priority order (bids high→low,
 * asks low→high, then priority seq), the symbol's book_seq and its last trade.
 */
export function rebuildBook(symbol: string, orders: OrderRow[], executions: ExecutionRow[], seq: number): OrderBook {
  const open = orders.filter((o) => o.symbol === symbol && o.ordType === 'LIMIT' && OPEN.has(o.status) && o.leavesQty > 0);
  open.sort((a, b) =>
    a.side !== b.side ? (a.side === 'BUY' ? -1 : 1) : a.priceTicks !== b.priceTicks ? (a.side === 'BUY' ? b.priceTicks - a.priceTicks : a.priceTicks - b.priceTicks) : a.prioritySeq - b.prioritySeq,
  );
  const resting: RestingOrder[] = open.map((o) => ({
    orderId: o.id,
    account: o.accountId,
    side: o.side,
    tif: o.tif as 'DAY' | 'GTC',
    price: o.priceTicks,
    qty: o.qty,
    cumQty: o.cumQty,
    cumNotional: o.cumNotional,
  }));
  let last: ExecutionRow | undefined;
  for (const e of executions) if (e.symbol === symbol && (!last || e.id > last.id)) last = e;
  const lastTrade: LastTrade | undefined = last ? { price: last.priceTicks, qty: last.qty, tradeId: last.tradeId, timestamp: last.createdAt.getTime() } : undefined;
  return OrderBook.restore(symbol, resting, seq, {}, lastTrade);
}

/** The state hash of every symbol's book as rebuilt from the database. */
export async function databaseStateHashes(knex: Knex): Promise<Map<string, string>> {
  const orders = (await knex('orders').select('*')).map(orderRow);
  const executions = (await knex('executions').select('*')).map(executionRow);
  const products = await knex('products').where('book_seq', '>', 0).select('symbol', 'book_seq');
  return new Map(products.map((p) => [String(p.symbol), rebuildBook(String(p.symbol), orders, executions, Number(p.book_seq)).stateHash()]));
}

function orderRow(r: Record<string, unknown>): OrderRow {
  return {
    id: Number(r.id),
    accountId: Number(r.account_id),
    symbol: String(r.symbol),
    side: r.side as 'BUY' | 'SELL',
    ordType: String(r.ord_type),
    tif: String(r.tif),
    priceTicks: Number(r.price_ticks),
    qty: Number(r.qty),
    cumQty: Number(r.cum_qty),
    leavesQty: Number(r.leaves_qty),
    cumNotional: Number(r.cum_notional),
    status: String(r.status),
    prioritySeq: Number(r.priority_seq),
  };
}

function executionRow(r: Record<string, unknown>): ExecutionRow {
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
