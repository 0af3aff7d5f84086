import type { Dialect } from '../../db/dialect.js';
import type { Knex } from '../../db/knex.js';
import type { ConnectionSource, QueryConnection } from '../../db/worker-connections.js';
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
   * Opens a batch's transaction. With several statements per query (MySQL's order-path
   * connections: `connections`, else the pool of `knex`), the transaction is driven on a
   * connection of its own, without knex's transaction wrapper: BEGIN goes with the reads and
   * COMMIT with the writes, so a batch takes two round trips.
   * Otherwise statements go one by one in a knex transaction (SQLite: in process, nothing to save).
   */
  async begin(knex: Knex, connections: ConnectionSource = knexConnections(knex)): Promise<BatchTransaction> {
    if (!this.multiStatements) return this.knexTransaction(knex);
    const conn = await connections.acquire();
    let done = false;
    let released = false;
    const send = (head: string[], statements: readonly Statement[], tail: string[]): Promise<Rows[][]> => {
      const parts = statements.map((s) => s.toSQL().toNative());
      const all = [...head, ...parts.map((p) => p.sql), ...tail];
      return new Promise((resolve, reject) =>
        conn.query(all.join(';\n'), parts.flatMap((p) => p.bindings), (err, results) => {
          if (err) return reject(err);
          try {
            // One result per statement when there are several (a lone COMMIT answers with one result).
            const each = all.length === 1 ? [results] : (results as unknown[]);
            resolve(each.slice(head.length, head.length + parts.length).map((r) => (Array.isArray(r) ? (r as Rows[]) : [])));
          } catch (e) {
            reject(e);
          }
        }),
      );
    };
    return {
      db: onConnection(knex, conn),
      read: (statements) => send(['START TRANSACTION'], statements, []),
      run: (statements) => send([], statements, []),
      commit: async (statements) => {
        const out = await send([], statements, ['COMMIT']);
        done = true;
        return out;
      },
      // A failed statement stops the query before COMMIT: the transaction is still open.
      rollback: () => (done ? Promise.resolve() : new Promise<void>((resolve) => conn.query('ROLLBACK', [], () => resolve()))),
      release: () => {
        if (released) return;
        released = true;
        connections.release(conn);
      },
    };
  }

  private async knexTransaction(knex: Knex): Promise<BatchTransaction> {
    const trx = await knex.transaction(this.dialect === 'mysql' ? { isolationLevel: 'read committed' } : undefined);
    const each = async (statements: readonly Statement[]) => {
      const out: Rows[][] = [];
      for (const s of statements) {
        const r: unknown = await s;
        out.push(Array.isArray(r) ? (r as Rows[]) : []);
      }
      return out;
    };
    return {
      db: trx,
      read: each,
      run: each,
      commit: async (statements) => {
        const out = await each(statements);
        await trx.commit();
        return out;
      },
      rollback: async () => {
        if (!trx.isCompleted()) await trx.rollback().catch(() => {});
      },
      release: () => {},
    };
  }

  /** Locks the products of a batch (symbol order, so replicas never deadlock) and reads their book seq. */
  lockProducts(trx: Knex.Transaction, symbols: readonly string[]): Statement {
    const q = this.readProducts(trx, symbols);
    return this.dialect === 'mysql' ? q.forUpdate() : q;
  }

  /** The same read without the lock (a speculative batch's first look; see OrderPath.commit). */
  readProducts(trx: Knex.Transaction, symbols: readonly string[]): Knex.QueryBuilder {
    return trx('products').whereIn('symbol', symbols).orderBy('symbol').select('symbol', 'book_seq', 'status', 'last_price_ticks', ...SESSION_COLUMNS);
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

  /** The reads of the full rows of orders from earlier transactions that the batch changed (see {@link hydrate}). */
  priorRows(db: Knex | Knex.Transaction, w: BatchWork): Statement[] {
    const ids = [...w.prior];
    const out: Statement[] = [];
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) out.push(db('orders').whereIn('id', ids.slice(i, i + LOOKUP_CHUNK)).select('*'));
    return out;
  }

  /**
   * Replaces the stubs of orders from earlier transactions with their full rows (read by
   * {@link priorRows}) plus the new state. Every stub must have its row: an order in a book
   * always has one.
   */
  hydrate(w: BatchWork, rows: readonly Rows[]): void {
    for (const row of rows) {
      const full = orderFromRow(row);
      w.orders.set(full.id, hydrated(w.orders.get(full.id)!, full));
      w.prior.delete(full.id);
    }
    if (w.prior.size > 0) throw new Error(`orders ${[...w.prior].join(',')} changed in the book but have no row`);
  }

  /** The writes of a batch: new orders, changed orders, executions, products; `extra` statements go last. */
  writes(db: Knex | Knex.Transaction, w: BatchWork, extra: readonly Statement[] = []): Statement[] {
    const inserts: Record<string, unknown>[] = [];
    const updates: OrderRecord[] = [];
    for (const o of w.orders.values()) {
      if (w.inserted.has(o.id)) inserts.push(orderToRow(o));
      else updates.push(o);
    }
    // Multi-row INSERTs in this transaction (knex's batchInsert would open a nested one: a savepoint per call).
    const statements: Statement[] = [];
    for (let i = 0; i < inserts.length; i += INSERT_CHUNK) statements.push(db('orders').insert(inserts.slice(i, i + INSERT_CHUNK)));
    statements.push(...updateOrders(db, updates));
    const executions = w.executions.map(executionToRow);
    for (let i = 0; i < executions.length; i += INSERT_CHUNK) statements.push(db('executions').insert(executions.slice(i, i + INSERT_CHUNK)));
    const products = updateProducts(db, w);
    if (products) statements.push(products);
    statements.push(...extra);
    return statements;
  }
}

/** A row as the driver returns it. */
export type Rows = Record<string, unknown>;

/** One batch's transaction (see {@link BatchSql.begin}). */
export interface BatchTransaction {
  /** Builds statements, and runs the rare reads of a catch-up, on the transaction's connection. */
  readonly db: Knex.Transaction;
  /** Runs the batch's reads (after BEGIN); one result per statement. */
  read(statements: readonly Statement[]): Promise<Rows[][]>;
  /** Runs more statements in the transaction; one result per statement. */
  run(statements: readonly Statement[]): Promise<Rows[][]>;
  /** Runs the batch's writes (if any) and commits; one result per statement. A failure leaves the transaction to {@link rollback}. */
  commit(statements: readonly Statement[]): Promise<Rows[][]>;
  /** Rolls back what was not committed; never throws. */
  rollback(): Promise<void>;
  /** Gives the connection back (once; later calls do nothing). */
  release(): void;
}

/** The connections of `knex`'s own pool (mysql2 connections), as a {@link ConnectionSource}. */
function knexConnections(knex: Knex): ConnectionSource {
  const client = knex.client as { acquireConnection(): Promise<QueryConnection>; releaseConnection(c: QueryConnection): Promise<void> };
  return {
    acquire: () => client.acquireConnection(),
    release: (c) => void client.releaseConnection(c),
    close: async () => {},
  };
}

/**
 * A query handle whose statements run on `conn` (a transaction knex does not know of): builders
 * for the batch's statements, and for the reads of a catch-up inside the batch's transaction.
 */
function onConnection(knex: Knex, conn: QueryConnection): Knex.Transaction {
  const db = ((table: string) => knex(table).connection(conn)) as unknown as Knex.Transaction;
  Object.assign(db, { isTransaction: true, client: knex.client, raw: (sql: string, bindings: never[]) => knex.raw(sql, bindings).connection(conn) });
  return db;
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
function updateProducts(trx: Knex | Knex.Transaction, w: BatchWork): Statement | undefined {
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

/**
 * One UPDATE … CASE per 200 changed resting orders. Orders of earlier transactions are stubs
 * (see {@link hydrated}): a stub without a reason or a priority seq keeps the row's.
 */
function updateOrders(trx: Knex | Knex.Transaction, orders: OrderRecord[]): Statement[] {
  const out: Statement[] = [];
  const cols: [string, (o: OrderRecord) => unknown][] = [
    ['price_ticks', (o) => o.priceTicks],
    ['qty', (o) => o.qty],
    ['cum_qty', (o) => o.cumQty],
    ['leaves_qty', (o) => o.leavesQty],
    ['cum_notional', (o) => o.cumNotional],
    ['status', (o) => o.status],
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
    sets.push(`reason = CASE id ${chunk.map(() => 'WHEN ? THEN COALESCE(?, reason)').join(' ')} END`);
    for (const o of chunk) bindings.push(o.id, o.reason ?? null);
    const ranked = chunk.filter((o) => o.prioritySeq >= 0);
    if (ranked.length > 0) {
      sets.push(`priority_seq = CASE id ${ranked.map(() => 'WHEN ? THEN ?').join(' ')} ELSE priority_seq END`);
      for (const o of ranked) bindings.push(o.id, o.prioritySeq);
    }
    bindings.push(...chunk.map((o) => o.id));
    out.push(trx.raw(`UPDATE orders SET ${sets.join(', ')} WHERE id IN (${chunk.map(() => '?').join(', ')})`, bindings as never[]));
  }
  return out;
}
