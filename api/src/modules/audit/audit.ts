/**
 * An audit of the order path's committed state: what the database holds must be internally
 * consistent (orders vs executions vs trades vs holdings vs books), consistent with the engine
 * replaying it (see replay.ts for what the replay proves and what it cannot), and, when an
 * engine is given, equal to the books in memory. Each finding is one line `rule: detail`; an
 * empty list means the state is consistent. Read-only; used by the test suites and by the
 * `audit` CLI over a real database.
 */
import type { Knex } from '../../db/knex.js';
import { OrderBook, type DepthLevel, type LastTrade, type MatchingEngine, type RestingOrder } from '../../engine/index.js';
import { PortfolioReads } from '../orders/portfolio.js';
import { applyLedgerFill, FLAT, type LedgerPosition } from '../orders/position-ledger.js';

/** A position as the holdings query derives it: the product and its average-cost ledger. */
export interface HoldingRecord extends LedgerPosition {
  readonly symbol: string;
}
import {
  DONE_UNFILLED,
  OPEN,
  groupTrades,
  isResting,
  loadAuditData,
  orderRow,
  executionRow,
  type AuditData,
  type ExecutionRow,
  type OrderRow,
  type ProductRow,
} from './audit-data.js';
import { checkSequence, emptyReplayStats, replayBooks, type ReplayStats } from './replay.js';
import { emptyJournalReplayStats, replayJournal, type JournalReplayStats } from './journal-replay.js';
import { entryFromRow } from '../orders/journal.js';
import { completeSnapshots, readSnapshot, SnapshotError } from '../orders/snapshots.js';
import type { AuditSnapshot } from './journal-replay.js';

export type { ExecutionRow, OrderRow, ProductRow } from './audit-data.js';
export type { ReplayStats } from './replay.js';
export type { JournalReplayStats } from './journal-replay.js';

export interface AuditOptions {
  /** When given, every book in memory is compared with one rebuilt from the database. */
  readonly engine?: MatchingEngine;
  /**
   * The positions query under test (default: {@link PortfolioReads.positions} on the same
   * connection, open positions only). Its answer for every account is compared with a recomputation from executions.
   */
  readonly holdings?: (accountId: number) => Promise<readonly HoldingRecord[]>;
  /** Skip the engine replay (faster on huge databases; the other rules still run). */
  readonly skipReplay?: boolean;
}

/** Counts that say how much the audit looked at. */
export interface AuditStats {
  readonly orders: number;
  readonly executions: number;
  readonly trades: number;
  readonly symbols: number;
  readonly accounts: number;
  readonly openOrders: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly replay: ReplayStats;
  /** The exact replay of the book journal (see journal-replay.ts). */
  readonly journal: JournalReplayStats;
}

export interface AuditReport {
  /** Every violation, `rule: detail`. */
  readonly violations: string[];
  readonly stats: AuditStats;
}

/** Runs every rule; returns the violations (empty when consistent). */
export async function auditOrderPath(knex: Knex, options: AuditOptions = {}): Promise<string[]> {
  return (await auditDatabase(knex, options)).violations;
}

/** Runs every rule; returns the violations and what was covered. */
export async function auditDatabase(knex: Knex, options: AuditOptions = {}): Promise<AuditReport> {
  const data = await loadAuditData(knex);
  const { orders, executions, products } = data;
  const { trades } = groupTrades(executions);
  const replay = emptyReplayStats();
  const out: string[] = [];
  out.push(...checkOrders(orders, executions));
  out.push(...checkTrades(executions, orders));
  out.push(...checkHoldings(orders, executions));
  out.push(...(await checkHoldingsQuery(data, options.holdings ?? holdingsOf(knex))));
  out.push(...checkBooksAtRest(orders, products));
  out.push(...checkProducts(executions, products));
  out.push(...checkSequence(orders, trades, products, replay));
  if (!options.skipReplay) out.push(...replayBooks(orders, trades, products, replay));
  const journal = emptyJournalReplayStats();
  if (!options.skipReplay && (await knex.schema.hasTable('book_journal'))) {
    const entries = (await knex('book_journal').orderBy(['symbol', 'from_seq']).select('*')).map(entryFromRow);
    out.push(...replayJournal(entries, orders, executions, products, journal, await loadSnapshots(knex, out)));
  }
  if (options.engine) out.push(...checkEngine(options.engine, orders, executions, products));
  const byStatus: Record<string, number> = {};
  for (const o of orders) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
  return {
    violations: out,
    stats: {
      orders: orders.length,
      executions: executions.length,
      trades: trades.length,
      symbols: new Set([...orders.map((o) => o.symbol), ...executions.map((e) => e.symbol)]).size,
      accounts: new Set(orders.map((o) => o.accountId)).size,
      openOrders: orders.filter(isResting).length,
      byStatus,
      replay,
      journal,
    },
  };
}

/** Every complete snapshot with its content; one whose parts cannot be read is reported in `out` and left out. */
async function loadSnapshots(knex: Knex, out: string[]): Promise<AuditSnapshot[]> {
  if (!(await knex.schema.hasTable('book_snapshots'))) return [];
  const list: AuditSnapshot[] = [];
  for (const headers of (await completeSnapshots(knex)).values()) {
    for (const h of headers) {
      try {
        list.push({ symbol: h.symbol, seq: h.seq, stateHash: h.stateHash!, image: await readSnapshot(knex, h) });
      } catch (e) {
        if (!(e instanceof SnapshotError)) throw e;
        out.push(`snapshots are complete: ${e.message}`);
      }
    }
  }
  return list;
}

/** Per order: fills add up, quantities and status agree, nothing rests that should not, ClOrdIDs are unique per account. */
export function checkOrders(orders: readonly OrderRow[], executions: readonly ExecutionRow[]): string[] {
  const out: string[] = [];
  const fills = new Map<number, { qty: number; notional: number }>();
  for (const e of executions) {
    const f = fills.get(e.orderId) ?? { qty: 0, notional: 0 };
    f.qty += e.qty;
    f.notional += e.qty * e.priceTicks;
    fills.set(e.orderId, f);
  }
  const ids = new Set<number>();
  const clOrdIds = new Map<string, number>();
  for (const o of orders) {
    ids.add(o.id);
    const key = `${o.accountId}\u0000${o.clOrdId}`;
    const other = clOrdIds.get(key);
    if (other !== undefined) out.push(`one order per ClOrdID: account ${o.accountId} ClOrdID ${JSON.stringify(o.clOrdId)} is orders ${other} and ${o.id}`);
    else clOrdIds.set(key, o.id);
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
    if (o.tif === 'FOK' && o.cumQty !== 0 && o.cumQty !== o.qty) out.push(`FOK fills all or nothing: ${at} filled ${o.cumQty} of ${o.qty}`);
    if (o.ordType === 'MARKET' ? o.priceTicks !== 0 : !(o.priceTicks > 0)) out.push(`limit orders have a price, market orders none: ${at} price ${o.priceTicks}`);
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
export function checkTrades(executions: readonly ExecutionRow[], orders: readonly OrderRow[]): string[] {
  const out: string[] = [];
  const byOrder = new Map(orders.map((o) => [o.id, o]));
  const trades = new Map<string, ExecutionRow[]>();
  const execIds = new Set<string>();
  for (const e of executions) {
    if (execIds.has(e.execId)) out.push(`ExecIDs are unique: ${e.execId} twice`);
    execIds.add(e.execId);
    if (!(e.qty > 0) || !(e.priceTicks > 0)) out.push(`fills are positive: execution ${e.execId} qty ${e.qty} price ${e.priceTicks}`);
    const key = `${e.symbol}#${e.tradeId}`;
    const list = trades.get(key);
    if (list) list.push(e);
    else trades.set(key, [e]);
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
export function checkHoldings(orders: readonly OrderRow[], executions: readonly ExecutionRow[]): string[] {
  const net = (rows: readonly { accountId: number; symbol: string; side: string; qty: number }[]) => {
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

/** The holdings query of the API (its SQL): open positions by symbol, read-only on `knex`. */
export function holdingsOf(knex: Knex): (accountId: number) => Promise<readonly HoldingRecord[]> {
  const reads = new PortfolioReads(knex);
  return async (accountId) =>
    [...(await reads.positions(accountId))]
      .filter(([, p]) => p.qty !== 0n)
      .map(([symbol, p]) => ({ symbol, ...p }))
      .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/**
 * Holdings are derived (no table): the holdings query must answer, for every account that has
 * orders, exactly the positions recomputed here from the executions in id order (net quantity,
 * average-cost basis and realised P&L per symbol, open positions only, ordered by symbol).
 */
export async function checkHoldingsQuery(data: AuditData, holdings: (accountId: number) => Promise<readonly HoldingRecord[]>): Promise<string[]> {
  const expected = new Map<number, Map<string, LedgerPosition>>();
  for (const o of data.orders) if (!expected.has(o.accountId)) expected.set(o.accountId, new Map());
  for (const e of data.executions) {
    let perAccount = expected.get(e.accountId);
    if (!perAccount) expected.set(e.accountId, (perAccount = new Map()));
    perAccount.set(e.symbol, applyLedgerFill(perAccount.get(e.symbol) ?? FLAT, e));
  }
  const out: string[] = [];
  for (const [accountId, perSymbol] of [...expected].sort(([a], [b]) => a - b)) {
    const want = [...perSymbol]
      .map(([symbol, p]) => ({ symbol, ...p }))
      .filter((h) => h.qty !== 0n)
      .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    let got: readonly HoldingRecord[];
    try {
      got = await holdings(accountId);
    } catch (e) {
      out.push(`holdings query = recomputation: account ${accountId} query failed (${(e as Error).message})`);
      continue;
    }
    const show = (h: HoldingRecord) => `${h.symbol} ${h.qty} (basis ${h.basis}, realised ${h.realized})`;
    const a = got.map(show).join('; ');
    const b = want.map(show).join('; ');
    if (a !== b) out.push(`holdings query = recomputation: account ${accountId} query [${a}] recomputed [${b}]`);
  }
  return out;
}

/** No symbol's open orders cross (best bid < best ask); book_seq covers every event. */
export function checkBooksAtRest(orders: readonly OrderRow[], products: readonly (ProductRow | Record<string, unknown>)[]): string[] {
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
  const seqs = seqsOf(products);
  for (const o of orders) {
    // A REJECTED order never entered the book: its priority seq is only where it would have been.
    if (o.status !== 'REJECTED' && o.prioritySeq > (seqs.get(o.symbol) ?? 0)) out.push(`book_seq covers every event: order ${o.id} priority ${o.prioritySeq} > ${o.symbol} book_seq ${seqs.get(o.symbol)}`);
  }
  return out;
}

/** Each product's last price is its last trade's, and its book_seq covers its trades. */
export function checkProducts(executions: readonly ExecutionRow[], products: readonly ProductRow[]): string[] {
  const last = new Map<string, ExecutionRow>();
  for (const e of executions) {
    const l = last.get(e.symbol);
    if (!l || e.tradeId > l.tradeId) last.set(e.symbol, e);
  }
  const out: string[] = [];
  const bySymbol = new Map(products.map((p) => [p.symbol, p]));
  for (const [symbol, e] of last) {
    const p = bySymbol.get(symbol);
    if (!p) {
      out.push(`fills belong to products: ${symbol} has trades but no product`);
      continue;
    }
    if (p.lastPriceTicks !== e.priceTicks) out.push(`last price = last trade: ${symbol} last price ${p.lastPriceTicks}, trade ${e.tradeId} at ${e.priceTicks}`);
    if (e.tradeId > p.bookSeq) out.push(`book_seq covers every event: ${symbol} trade ${e.tradeId} > book_seq ${p.bookSeq}`);
  }
  return out;
}

/** Every book in memory equals the book rebuilt from the database (state hash), and vice versa. */
export function checkEngine(engine: MatchingEngine, orders: readonly OrderRow[], executions: readonly ExecutionRow[], products: readonly (ProductRow | Record<string, unknown>)[]): string[] {
  const out: string[] = [];
  const seqs = seqsOf(products);
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
 * asks low→high, then priority seq), the symbol's book_seq and its last trade. Throws
 * RangeError when the rows cannot form a book (e.g. crossed).
 */
export function rebuildBook(symbol: string, orders: readonly OrderRow[], executions: readonly ExecutionRow[], seq: number): OrderBook {
  const open = orders.filter((o) => o.symbol === symbol && isResting(o));
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

/** A book as the database holds it: seq and every level (price ticks, leaves lots, order count), best first. */
export interface DatabaseBook {
  readonly symbol: string;
  readonly seq: number;
  readonly bids: readonly DepthLevel[];
  readonly asks: readonly DepthLevel[];
}

/** Every symbol's book (book_seq > 0) rebuilt from the database, at full depth; an unbuildable one has no levels and an `error`. */
export async function databaseBooks(knex: Knex): Promise<(DatabaseBook & { error?: string })[]> {
  const { orders, executions, products } = await loadAuditData(knex);
  return products
    .filter((p) => p.bookSeq > 0)
    .sort((a, b) => (a.symbol < b.symbol ? -1 : 1))
    .map((p) => {
      try {
        const d = rebuildBook(p.symbol, orders, executions, p.bookSeq).depth(Infinity);
        return { symbol: p.symbol, seq: p.bookSeq, bids: d.bids, asks: d.asks };
      } catch (e) {
        return { symbol: p.symbol, seq: p.bookSeq, bids: [], asks: [], error: (e as Error).message };
      }
    });
}

function seqsOf(products: readonly (ProductRow | Record<string, unknown>)[]): Map<string, number> {
  return new Map(products.map((p) => [String(p.symbol), Number('bookSeq' in p ? p.bookSeq : p.book_seq)]));
}
