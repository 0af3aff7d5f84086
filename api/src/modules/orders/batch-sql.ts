import type { Dialect } from '../../db/dialect.js';
import type { Knex } from '../../db/knex.js';
import { executionToRow, orderFromRow, orderToRow, type OrderRecord } from './order-record.js';
import type { NewOrderRequest } from './order-request.js';
import { hoursFromRow } from '../products/trading-schedule.js';
import { hydrated, type BatchWork, type ProductLock } from './batch-fold.js';

/** One SQL statement of a transaction, built but not yet sent. */
export type Statement = Knex.QueryBuilder | Knex.Raw;

/** Rows per INSERT: SQLite builds multi-row inserts from UNION ALL selects, limited to 500 terms. */
const INSERT_CHUNK = 250;
/** (account, ClOrdID) pairs per lookup query (two bound parameters each; SQLite allows 32,766). */
const LOOKUP_CHUNK = 500;

/**
 * The SQL of one order-path batch, per dialect: the product locks, the ClOrdID lookups, the
 * hydration of orders from earlier batches and the writes. Every method works inside the
 * batch's transaction; none keeps state between batches.
 */
export class BatchSql {
  /**
   * @param dialect - MySQL locks product rows with FOR UPDATE; SQLite's write lock is the whole file.
   * @param multiStatements - the connection takes several statements per query (see {@link BatchSql.run}).
   */
  constructor(
    private readonly dialect: Dialect,
    private readonly multiStatements: boolean,
  ) {}

  /**
   * Runs statements in order and returns each one's rows (empty for writes): in one round trip
   * when the connection takes several statements per query, else one by one.
   */
  async run(trx: Knex.Transaction, statements: readonly Statement[]): Promise<Record<string, unknown>[][]> {
    if (statements.length === 0) return [];
    if (!this.multiStatements || statements.length === 1) {
      const out: Record<string, unknown>[][] = [];
      for (const s of statements) {
        const r: unknown = await s;
        out.push(Array.isArray(r) ? (r as Record<string, unknown>[]) : []);
      }
      return out;
    }
    const parts = statements.map((s) => s.toSQL().toNative());
    // mysql2 answers a multi-statement query with [results, fields]: one entry per statement.
    const [results] = (await trx.raw(parts.map((p) => p.sql).join(';\n'), parts.flatMap((p) => p.bindings) as never[])) as [unknown[]];
    return results.map((r) => (Array.isArray(r) ? (r as Record<string, unknown>[]) : []));
  }

  /** Locks the products of a batch (symbol order, so replicas never deadlock) and reads their book seq. */
  lockProducts(trx: Knex.Transaction, symbols: readonly string[]): Statement {
    const q = trx('products').whereIn('symbol', symbols).orderBy('symbol').select('symbol', 'book_seq', 'status', 'last_price_ticks', ...SESSION_COLUMNS);
    return this.dialect === 'mysql' ? q.forUpdate() : q;
  }

  /** The orders that already carry a new request's (account, ClOrdID): one query per chunk, any number of accounts. */
  findExistingClOrdIds(trx: Knex.Transaction, wanted: readonly NewOrderRequest[]): Statement[] {
    const out: Statement[] = [];
    for (let i = 0; i < wanted.length; i += LOOKUP_CHUNK) {
      const chunk = wanted.slice(i, i + LOOKUP_CHUNK);
      out.push(
        trx('orders')
          .where((q) => {
            for (const r of chunk) void q.orWhere({ account_id: r.accountId, cl_ord_id: r.clOrdId });
          })
          .select('*'),
      );
    }
    return out;
  }

  /** Replaces the stubs of orders from earlier transactions with their full rows plus the new state. */
  async hydrate(trx: Knex.Transaction, w: BatchWork): Promise<void> {
    const ids = [...w.prior];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await trx('orders').whereIn('id', ids.slice(i, i + 500)).select('*');
      for (const row of rows) {
        const full = orderFromRow(row);
        w.orders.set(full.id, hydrated(w.orders.get(full.id)!, full));
        w.prior.delete(full.id);
      }
    }
    if (w.prior.size > 0) throw new Error(`orders ${[...w.prior].join(',')} changed in the book but have no row`);
  }

  /** Writes a hydrated batch: new orders, changed orders, executions, products; `extra` statements go last. */
  async write(trx: Knex.Transaction, w: BatchWork, extra: readonly Statement[] = []): Promise<void> {
    const inserts: Record<string, unknown>[] = [];
    const updates: OrderRecord[] = [];
    for (const o of w.orders.values()) {
      if (w.inserted.has(o.id)) inserts.push(orderToRow(o));
      else updates.push(o);
    }
    // Multi-row INSERTs in this transaction (knex's batchInsert would open a nested one: a savepoint per call).
    const statements: Statement[] = [];
    for (let i = 0; i < inserts.length; i += INSERT_CHUNK) statements.push(trx('orders').insert(inserts.slice(i, i + INSERT_CHUNK)));
    statements.push(...updateOrders(trx, updates));
    const executions = w.executions.map(executionToRow);
    for (let i = 0; i < executions.length; i += INSERT_CHUNK) statements.push(trx('executions').insert(executions.slice(i, i + INSERT_CHUNK)));
    const products = updateProducts(trx, w);
    if (products) statements.push(products);
    statements.push(...extra);
    await this.run(trx, statements);
  }
}

/** The product columns of trading sessions, read with the lock. */
const SESSION_COLUMNS = ['session_time_zone', 'session_open', 'session_close', 'session_days', 'day_expired_through'] as const;

/** Product rows as the lock read them, by symbol. */
export function productsFrom(rows: readonly Record<string, unknown>[]): Map<string, ProductLock> {
  return new Map(
    rows.map((r) => [
      String(r.symbol),
      {
        seq: Number(r.book_seq),
        halted: r.status === 'HALTED',
        lastPrice: r.last_price_ticks == null ? null : Number(r.last_price_ticks),
        hours: hoursFromRow(r).hours,
        expiredThrough: Number(r.day_expired_through ?? 0),
      },
    ]),
  );
}

/** Every touched product's book seq (and last trade) in one UPDATE … CASE. */
function updateProducts(trx: Knex.Transaction, w: BatchWork): Statement | undefined {
  const symbols = [...w.seqs.keys()];
  if (symbols.length === 0) return undefined;
  const bindings: unknown[] = [];
  const sets: string[] = [];
  const caseOf = (col: string, entries: [string, unknown][]) => {
    if (entries.length === 0) return;
    sets.push(`${col} = CASE symbol ${entries.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${col} END`);
    for (const [symbol, v] of entries) bindings.push(symbol, v);
  };
  caseOf('book_seq', [...w.seqs]);
  const traded = [...w.lastTrades].filter(([symbol]) => w.seqs.has(symbol));
  caseOf('last_price_ticks', traded.map(([symbol, t]) => [symbol, t.price]));
  caseOf('last_trade_at', traded.map(([symbol, t]) => [symbol, t.at]));
  caseOf('updated_at', traded.map(([symbol, t]) => [symbol, t.at]));
  caseOf('day_expired_through', [...w.expiredThrough].filter(([symbol]) => w.seqs.has(symbol)));
  bindings.push(...symbols);
  return trx.raw(`UPDATE products SET ${sets.join(', ')} WHERE symbol IN (${symbols.map(() => '?').join(', ')})`, bindings as never[]);
}

/** One UPDATE … CASE per 200 changed resting orders. */
function updateOrders(trx: Knex.Transaction, orders: OrderRecord[]): Statement[] {
  const out: Statement[] = [];
  const cols: [string, (o: OrderRecord) => unknown][] = [
    ['price_ticks', (o) => o.priceTicks],
    ['qty', (o) => o.qty],
    ['cum_qty', (o) => o.cumQty],
    ['leaves_qty', (o) => o.leavesQty],
    ['cum_notional', (o) => o.cumNotional],
    ['status', (o) => o.status],
    ['reason', (o) => o.reason],
    ['priority_seq', (o) => o.prioritySeq],
    ['updated_at', (o) => o.updatedAt],
  ];
  for (let i = 0; i < orders.length; i += 200) {
    const chunk = orders.slice(i, i + 200);
    const sets: string[] = [];
    const bindings: unknown[] = [];
    for (const [col, get] of cols) {
      sets.push(`${col} = CASE id ${chunk.map(() => 'WHEN ? THEN ?').join(' ')} END`);
      for (const o of chunk) bindings.push(o.id, get(o));
    }
    bindings.push(...chunk.map((o) => o.id));
    out.push(trx.raw(`UPDATE orders SET ${sets.join(', ')} WHERE id IN (${chunk.map(() => '?').join(', ')})`, bindings as never[]));
  }
  return out;
}
