import { OPEN_STATUSES, isOpenStatus, type EngineEvent, type LastTrade, type MatchingEngine, type RestingOrder } from '../../engine/index.js';
import type { Knex } from '../../db/knex.js';
import { executionFromRow, orderFromRow, type OrderRecord } from './order-record.js';
import { applyEntry, readEntries, type JournalEntry } from './journal.js';

/**
 * Book recovery: catching a book up from the journal (cost proportional to what changed), and
 * from the database's order rows the start-up load of every book and the full reload of one
 * (cost proportional to the book's depth) when the journal cannot serve.
 */

/**
 * Why a book was rebuilt from the order rows rather than caught up from the journal:
 * - `missing`: no book in memory (never loaded here, or dropped after a failure);
 * - `ahead`: the book is past the committed seq (a failed commit it did not roll back);
 * - `pruned`: the journal no longer reaches back to the book's seq;
 * - `divergence`: replaying the journal did not give the recorded seq or state hash;
 * - `failure`: a batch failed and the books it touched were rebuilt.
 */
export type ReloadReason = 'missing' | 'ahead' | 'pruned' | 'divergence' | 'failure';

/** What catch-up reports, for metrics and logs. */
export interface SyncHooks {
  /** Journal entries applied to a book (catch-up or the bus). */
  readonly onApplied?: (symbol: string, entries: number) => void;
  readonly onReload?: (symbol: string, reason: ReloadReason) => void;
  /** A replay gave another state than the writer's: the book was reloaded. */
  readonly onDivergence?: (symbol: string, entry: Pick<JournalEntry, 'fromSeq' | 'toSeq' | 'stateHash'>) => void;
  /**
   * An entry replayed into its book (catch-up or the bus), with the engine events it gave: the
   * same as the writer's, so this process can report what another replica committed.
   */
  readonly onReplayed?: (entry: JournalEntry, events: readonly EngineEvent[]) => void;
  /**
   * A faster full load tried before the order rows (except after a divergence, where the rows
   * are the truth): e.g. the newest snapshot plus the journal after it. True when the book is
   * now at `targetSeq`; false to fall back to the rows.
   */
  readonly restore?: (engine: MatchingEngine, knex: Knex | Knex.Transaction, symbol: string, targetSeq: number) => Promise<boolean>;
}

/** Seqs of history a missing book is replayed from the journal (from seq 0) rather than reloaded. */
const REPLAY_MISSING_MAX_SEQ = 10_000;

/**
 * Brings the book of `symbol` to the committed `targetSeq`: applies the journal entries after
 * the book's own seq, or rebuilds it from the order rows when there is no book, when it is
 * ahead, when the journal no longer reaches back to it, or when the replay diverges. Read
 * through `knex` (a batch's transaction, under the product lock, or the pool), unless the
 * entries after the book's seq were `prefetched`.
 */
export async function catchUp(
  engine: MatchingEngine,
  knex: Knex | Knex.Transaction,
  symbol: string,
  targetSeq: number,
  hooks: SyncHooks = {},
  prefetched?: readonly JournalEntry[],
): Promise<void> {
  const reload = async (reason: ReloadReason) => {
    if (reason === 'divergence' || !hooks.restore || !(await hooks.restore(engine, knex, symbol, targetSeq))) await reloadBook(engine, knex, symbol);
    hooks.onReload?.(symbol, reason);
  };
  if (!engine.has(symbol)) {
    if (targetSeq === 0) return;
    // A book that never existed here (first traded on another replica while its bus message was
    // lost): replayed from the journal's start when short enough, so its events are reported here.
    if (prefetched === undefined && targetSeq <= REPLAY_MISSING_MAX_SEQ) {
      const outcome = applyEntries(engine, await readEntries(knex, symbol, 0, targetSeq), hooks);
      if (outcome === 'applied' && engine.has(symbol) && engine.book(symbol).seq === targetSeq) return;
    }
    return reload('missing');
  }
  const seq = engine.book(symbol).seq;
  if (seq === targetSeq) return;
  if (seq > targetSeq) return reload('ahead');
  const entries = prefetched ?? (await readEntries(knex, symbol, seq, targetSeq));
  const outcome = applyEntries(engine, entries, hooks);
  if (outcome === 'diverged') return reload('divergence');
  if (engine.book(symbol).seq !== targetSeq) return reload('pruned');
}

/**
 * Applies entries of one symbol in order while they chain onto its book (pure). Stops at the
 * first that does not apply: `'gap'` or `'diverged'` (then reported to `onDivergence`; the book
 * must be rebuilt), else `'applied'` (including when some were stale).
 */
export function applyEntries(engine: MatchingEngine, entries: readonly JournalEntry[], hooks: SyncHooks = {}): 'applied' | 'gap' | 'diverged' {
  let applied = 0;
  try {
    for (const entry of entries) {
      const events: EngineEvent[] | undefined = hooks.onReplayed ? [] : undefined;
      const outcome = applyEntry(engine, entry, events);
      if (outcome === 'applied') {
        applied++;
        if (events) hooks.onReplayed!(entry, events);
      }
      else if (outcome === 'gap') return 'gap';
      else if (outcome === 'diverged') {
        hooks.onDivergence?.(entry.symbol, entry);
        return 'diverged';
      }
    }
    return 'applied';
  } finally {
    if (applied > 0) hooks.onApplied?.(entries[0]!.symbol, applied);
  }
}

/**
 * Runs `read` on one snapshot of the database: the order rows and the book seq it reads belong
 * to the same commits. Inside a transaction (a batch's, under the product lock nothing commits
 * on the symbol) as is; otherwise in a REPEATABLE READ transaction of its own, since another
 * replica may commit between two reads (a book with the old orders and the new seq would then
 * take the next entries on the wrong state).
 */
export async function consistentRead<T>(knex: Knex | Knex.Transaction, read: (db: Knex | Knex.Transaction) => Promise<T>): Promise<T> {
  if ((knex as Knex.Transaction).isTransaction) return read(knex);
  // knex's dialect name ('mysql' for mysql2 too); MikroORM passes a client class, not a name.
  const mysql = /mysql/i.test(String((knex.client as { dialect?: string }).dialect));
  return knex.transaction((trx) => read(trx), mysql ? { isolationLevel: 'repeatable read' } : undefined);
}

/** Rebuilds one symbol's book from the database (in `trx` when given, to read inside a batch's lock). */
export async function reloadBook(engine: MatchingEngine, db: Knex | Knex.Transaction, symbol: string): Promise<void> {
  await consistentRead(db, (knex) => reloadFrom(engine, knex, symbol));
}

async function reloadFrom(engine: MatchingEngine, knex: Knex | Knex.Transaction, symbol: string): Promise<void> {
  const product = await knex('products').where({ symbol }).first('book_seq');
  const rows = await knex('orders')
    .where({ symbol, ord_type: 'LIMIT' })
    .whereIn('status', OPEN_STATUSES)
    .select('*');
  const last = await knex('executions').where({ symbol }).orderBy('id', 'desc').first('*');
  const lastTrade: LastTrade | undefined = last
    ? { price: Number(last.price_ticks), qty: Number(last.qty), tradeId: Number(last.trade_id), timestamp: executionFromRow(last).createdAt.getTime() }
    : undefined;
  engine.restore(symbol, toResting(rows.map(orderFromRow)), Number(product?.book_seq ?? 0), lastTrade);
}

/** Rebuilds every book that has open orders or history (start-up). Returns the number of books. */
export async function loadAllBooks(engine: MatchingEngine, db: Knex): Promise<number> {
  return consistentRead(db, (knex) => loadAllFrom(engine, knex));
}

async function loadAllFrom(engine: MatchingEngine, knex: Knex | Knex.Transaction): Promise<number> {
  const rows = await knex('orders').where({ ord_type: 'LIMIT' }).whereIn('status', OPEN_STATUSES).select('*');
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

/**
 * Rebuilds the books of `symbols` from their open order rows, product seqs and last trades (the
 * start-up of books without a usable snapshot). Returns the number of books.
 */
export async function loadBooksFromRows(engine: MatchingEngine, knex: Knex | Knex.Transaction, symbols: readonly string[]): Promise<number> {
  const lastTrades = await lastTradesBySymbol(knex);
  let books = 0;
  for (let i = 0; i < symbols.length; i += 500) {
    const chunk = symbols.slice(i, i + 500);
    const rows = await knex('orders').whereIn('symbol', chunk).andWhere({ ord_type: 'LIMIT' }).whereIn('status', OPEN_STATUSES).select('*');
    const bySymbol = new Map<string, OrderRecord[]>();
    for (const r of rows.map(orderFromRow)) {
      const list = bySymbol.get(r.symbol) ?? [];
      list.push(r);
      bySymbol.set(r.symbol, list);
    }
    for (const p of await knex('products').whereIn('symbol', chunk).select('symbol', 'book_seq')) {
      const symbol = String(p.symbol);
      engine.restore(symbol, toResting(bySymbol.get(symbol) ?? []), Number(p.book_seq), lastTrades.get(symbol));
      books++;
    }
  }
  return books;
}

/** Open limit orders → the engine's recovery list, in priority order (bids high→low, asks low→high, then time). */
export function toResting(orders: readonly OrderRecord[]): RestingOrder[] {
  const open = orders.filter((o) => o.ordType === 'LIMIT' && o.leavesQty > 0 && isOpenStatus(o.status));
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

async function lastTradesBySymbol(knex: Knex | Knex.Transaction): Promise<Map<string, LastTrade>> {
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
